package dev.kamado.trainer.data;

import dev.kamado.model.tokenizer.ChatEncoding;
import dev.kamado.model.tokenizer.ChatMessage;
import dev.kamado.model.tokenizer.ChatSegment;
import dev.kamado.model.tokenizer.ChatTemplate;
import dev.kamado.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns {@link RawExample}s into token ids with loss targets.
 *
 * <ul>
 *   <li>chat: the model's chat template renders the conversation into segments, the whole text is tokenised in one
 *       piece without added special tokens (as {@code apply_chat_template(tokenize=True)} does, so the ids equal what
 *       inference sees), and a token is a target when it starts inside a trainable segment (assistant content and
 *       the token(s) ending the assistant turn);
 *   <li>completion: {@code input} with the tokenizer's special tokens (BOS when the model uses one), then
 *       {@code output} and the end-of-sequence token, which are the targets;
 *   <li>text: the text with special tokens and an end-of-sequence token, all targets; a document longer than the
 *       maximum length is cut into pieces of at most that length (continued pre-training reads long documents).
 * </ul>
 *
 * A chat or completion example longer than the maximum length becomes a {@link DatasetProblem} (reason too-long):
 * cutting it would train on a truncated answer.
 */
public final class ExampleEncoder {
  private final TextTokenizer tokenizer;
  private final ChatTemplate template;
  private final int maxLength;
  private final int eosId;

  /**
   * An encoder.
   *
   * @param tokenizer the model's tokenizer
   * @param maxLength longest example in tokens
   */
  public ExampleEncoder(TextTokenizer tokenizer, int maxLength) {
    this.tokenizer = tokenizer;
    this.template = tokenizer.chatTemplate();
    this.maxLength = maxLength;
    this.eosId = tokenizer.eosIds().isEmpty() ? -1 : endOfSequence(tokenizer);
  }

  private static int endOfSequence(TextTokenizer tokenizer) {
    return tokenizer.eosIds().stream().mapToInt(Integer::intValue).min().orElse(-1);
  }

  /** Encoded examples and the problems found while encoding. */
  public record Result(List<EncodedExample> examples, List<DatasetProblem> problems) {}

  /** Encodes every example, in order. */
  public Result encodeAll(List<RawExample> raw) {
    List<EncodedExample> out = new ArrayList<>(raw.size());
    List<DatasetProblem> problems = new ArrayList<>();
    for (RawExample r : raw) {
      if (r instanceof RawExample.Text t) {
        out.addAll(text(t));
        continue;
      }
      EncodedExample e = r instanceof RawExample.Chat c ? chat(c) : completion((RawExample.Completion) r);
      if (e.length() > maxLength) {
        problems.add(new DatasetProblem(r.source(), DatasetProblem.Reason.TOO_LONG, "example has " + e.length()
            + " tokens, more than maxSequenceLength " + maxLength));
      } else if (e.targetCount() == 0) {
        problems.add(new DatasetProblem(r.source(), DatasetProblem.Reason.NO_TARGET,
            "no answer tokens after tokenisation, so nothing to learn from"));
      } else {
        out.add(e);
      }
    }
    return new Result(out, problems);
  }

  EncodedExample chat(RawExample.Chat c) {
    List<ChatMessage> messages = new ArrayList<>(c.messages().size());
    for (RawExample.Message m : c.messages()) {
      messages.add(new ChatMessage(m.role(), m.content()));
    }
    List<ChatSegment> segments = template.render(messages, false);
    ChatEncoding encoded = tokenizer.encodeChat(segments);
    return new EncodedExample(encoded.ids(), encoded.trainable(), c.source());
  }

  EncodedExample completion(RawExample.Completion c) {
    Builder b = new Builder();
    b.add(tokenizer.encode(c.input(), true), false);
    b.add(tokenizer.encode(c.output(), false), true);
    if (eosId >= 0) {
      b.add(new int[] {eosId}, true);
    }
    return b.build(c.source());
  }

  List<EncodedExample> text(RawExample.Text t) {
    Builder b = new Builder();
    b.add(tokenizer.encode(t.text(), true), true);
    if (eosId >= 0) {
      b.add(new int[] {eosId}, true);
    }
    EncodedExample whole = b.build(t.source());
    List<EncodedExample> pieces = new ArrayList<>();
    for (int start = 0; start < whole.length(); start += maxLength) {
      int end = Math.min(whole.length(), start + maxLength);
      if (end - start < 2) {
        break; // a lone trailing token has nothing to be predicted from
      }
      pieces.add(new EncodedExample(Arrays.copyOfRange(whole.tokens(), start, end),
          Arrays.copyOfRange(whole.targets(), start, end), t.source()));
    }
    return pieces;
  }

  /** Appends token runs with their target flag. */
  private static final class Builder {
    private int[] tokens = new int[64];
    private boolean[] targets = new boolean[64];
    private int size;

    void add(int[] ids, boolean target) {
      if (size + ids.length > tokens.length) {
        int cap = Math.max(tokens.length * 2, size + ids.length);
        tokens = Arrays.copyOf(tokens, cap);
        targets = Arrays.copyOf(targets, cap);
      }
      System.arraycopy(ids, 0, tokens, size, ids.length);
      Arrays.fill(targets, size, size + ids.length, target);
      size += ids.length;
    }

    EncodedExample build(SourceLine source) {
      return new EncodedExample(Arrays.copyOf(tokens, size), Arrays.copyOf(targets, size), source);
    }
  }
}
