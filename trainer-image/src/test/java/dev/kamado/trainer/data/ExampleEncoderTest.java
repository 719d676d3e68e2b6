package dev.kamado.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kamado.model.tokenizer.BpeTrainer;
import dev.kamado.model.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loss targets with a real (ChatML) tokenizer trained by the model core's BpeTrainer. */
class ExampleEncoderTest {
  @TempDir
  static Path dir;
  private static TextTokenizer tokenizer;
  private static final SourceLine SRC = new SourceLine(Path.of("train.jsonl"), 7);

  @BeforeAll
  static void tokenizer() throws Exception {
    BpeTrainer trainer = new BpeTrainer(400);
    for (int i = 0; i < 50; i++) {
      trainer.add("The printer is broken. Route to IT with urgency high. 経費精算について質問があります。\n");
    }
    trainer.train().save(dir);
    tokenizer = TextTokenizer.load(dir);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static String targetsText(EncodedExample e) {
    List<Integer> ids = new ArrayList<>();
    for (int t = 0; t < e.length(); t++) {
      if (e.targets()[t]) {
        ids.add(e.tokens()[t]);
      }
    }
    return tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray(), false);
  }

  @Test
  void chatTargetsAreTheAssistantAnswerAndItsEndToken() {
    var chat = new RawExample.Chat(SRC, List.of(new RawExample.Message("system", "Triage."),
        new RawExample.Message("user", "The printer is broken."), new RawExample.Message("assistant", "Route to IT")));
    EncodedExample e = new ExampleEncoder(tokenizer, 512).chat(chat);
    assertThat(tokenizer.decode(e.tokens(), false)).startsWith("<|im_start|>system\nTriage.<|im_end|>\n"
        + "<|im_start|>user\nThe printer is broken.<|im_end|>\n<|im_start|>assistant\nRoute to IT<|im_end|>");
    assertThat(targetsText(e)).startsWith("Route to IT<|im_end|>").doesNotContain("printer");
  }

  @Test
  void completionTargetsAreTheOutputAndEos() {
    EncodedExample e = new ExampleEncoder(tokenizer, 512).completion(
        new RawExample.Completion(SRC, "The printer is broken. Route to", " IT"));
    assertThat(targetsText(e)).isEqualTo(" IT" + tokenizer.decode(new int[] {e.tokens()[e.length() - 1]}, false));
    assertThat(tokenizer.eosIds()).contains(e.tokens()[e.length() - 1]);
    assertThat(e.targets()[0]).isFalse();
  }

  @Test
  void tooLongAnswersAreProblemsAndLongTextsArePieces() {
    var encoder = new ExampleEncoder(tokenizer, 8);
    var result = encoder.encodeAll(List.of(new RawExample.Completion(SRC, "The printer is broken.",
        " Route to IT with urgency high."), new RawExample.Text(SRC, "The printer is broken. ".repeat(10))));
    assertThat(result.problems()).singleElement().satisfies(p -> {
      assertThat(p.reason()).isEqualTo(DatasetProblem.Reason.TOO_LONG);
      assertThat(p.message()).matches("train.jsonl line 7: example has \\d+ tokens, more than maxSequenceLength 8");
    });
    assertThat(result.examples()).hasSizeGreaterThan(2).allSatisfy(x -> assertThat(x.length()).isBetween(2, 8));
  }
}
