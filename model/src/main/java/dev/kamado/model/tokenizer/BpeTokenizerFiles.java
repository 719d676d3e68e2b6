package dev.kamado.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.model.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a {@link BpeModel} as Hugging Face tokenizer files that DJL, Python {@code tokenizers} and
 * {@code transformers} ({@code AutoTokenizer}, class {@code PreTrainedTokenizerFast}) load alike:
 *
 * <ul>
 *   <li>{@code tokenizer.json}: NFC normalizer; pre-tokenizer = Split({@link PreTokenizerRegex#ONIGURUMA},
 *       Isolated) then ByteLevel without its own regex; BPE model (no unknown token: bytes cover every input);
 *       ByteLevel post-processor (adds nothing) and decoder; the special tokens as added tokens.</li>
 *   <li>{@code tokenizer_config.json}: ChatML {@code chat_template} (no default system message), {@code eos_token}
 *       {@code <|im_end|>}, {@code pad_token} {@code <|endoftext|>}, no BOS, {@code add_bos_token} false.</li>
 * </ul>
 */
public final class BpeTokenizerFiles {

  /** The ChatML template written to tokenizer_config.json (Qwen2's, without the default system message). */
  public static final String CHATML_TEMPLATE = "{% for message in messages %}"
      + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
      + "{% endfor %}"
      + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BpeTokenizerFiles() {
  }

  /** Writes both files (atomically each) into {@code dir}, creating it. */
  public static void write(BpeModel model, Path dir) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.write(dir.resolve(TextTokenizer.TOKENIZER_JSON), bytes(tokenizerJson(model)));
    AtomicFiles.write(dir.resolve(TokenizerConfigJson.FILE_NAME), bytes(tokenizerConfig(model)));
  }

  static ObjectNode tokenizerJson(BpeModel model) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int id = 0; id < model.specialTokens().size(); id++) {
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", model.specialTokens().get(id));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", PreTokenizerRegex.ONIGURUMA);
    split.put("behavior", "Isolated");
    split.put("invert", false);
    steps.add(byteLevel());
    root.set("post_processor", byteLevel());
    root.set("decoder", byteLevel());
    ObjectNode bpe = root.putObject("model");
    bpe.put("type", "BPE");
    bpe.putNull("dropout");
    bpe.putNull("unk_token");
    bpe.putNull("continuing_subword_prefix");
    bpe.putNull("end_of_word_suffix");
    bpe.put("fuse_unk", false);
    bpe.put("byte_fallback", false);
    bpe.put("ignore_merges", false);
    ObjectNode vocab = bpe.putObject("vocab");
    for (int id = 0; id < model.vocabSize(); id++) {
      vocab.put(model.token(id), id);
    }
    ArrayNode merges = bpe.putArray("merges");
    for (int[] m : model.merges()) {
      merges.add(model.token(m[0]) + " " + model.token(m[1]));
    }
    return root;
  }

  private static ObjectNode byteLevel() {
    ObjectNode n = JSON.createObjectNode();
    n.put("type", "ByteLevel");
    n.put("add_prefix_space", false);
    n.put("trim_offsets", false);
    n.put("use_regex", false);
    return n;
  }

  static ObjectNode tokenizerConfig(BpeModel model) {
    ObjectNode root = JSON.createObjectNode();
    root.put("add_bos_token", false);
    root.put("add_eos_token", false);
    ObjectNode decoder = root.putObject("added_tokens_decoder");
    for (int id = 0; id < model.specialTokens().size(); id++) {
      ObjectNode t = decoder.putObject(Integer.toString(id));
      t.put("content", model.specialTokens().get(id));
      t.put("lstrip", false);
      t.put("normalized", false);
      t.put("rstrip", false);
      t.put("single_word", false);
      t.put("special", true);
    }
    root.putNull("bos_token");
    root.put("chat_template", CHATML_TEMPLATE);
    root.put("clean_up_tokenization_spaces", false);
    root.put("eos_token", special(model, "<|im_end|>", model.specialTokens().size() - 1));
    root.put("errors", "replace");
    root.put("model_max_length", 32768);
    root.put("pad_token", special(model, "<|endoftext|>", 0));
    root.put("split_special_tokens", false);
    root.put("tokenizer_class", "PreTrainedTokenizerFast");
    root.putNull("unk_token");
    return root;
  }

  private static String special(BpeModel model, String preferred, int fallbackId) {
    if (model.specialTokens().isEmpty()) {
      return null;
    }
    return model.specialTokens().contains(preferred) ? preferred : model.specialTokens().get(fallbackId);
  }

  private static byte[] bytes(ObjectNode node) throws IOException {
    return (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
