package dev.kamado.model.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a hand-made, Llama-2/Mistral-style sentencepiece BPE tokenizer: {@code ▁} for spaces (normalizer prepends
 * one), {@code <0xNN>} byte fallback for characters outside its small vocabulary, decoder
 * Replace(▁→space) + ByteFallback + Fuse + Strip(1 leading space), {@code <s>} added by the post-processor, class
 * {@code LlamaTokenizerFast}, and the Mistral-7B-Instruct-v0.1 chat template.
 */
final class SentencePieceFixture {

  static final String MISTRAL_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
      + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
      + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
      + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
      + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
      + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

  /** Pieces after the 3 specials and 256 byte tokens, in id order. */
  static final List<String> PIECES = List.of("▁", "H", "e", "l", "o", "w", "r", "d", "▁H", "ll", "ell", "ello",
      "▁Hello", "▁w", "or", "orl", "orld", "▁world", "猫", "は", "!", ",", "[", "]", "I", "N", "S", "T", "/", "IN",
      "INS", "INST", "[INST", "[INST]", "[/", "[/INST", "[/INST]", "▁[INST]", "▁[/INST]");

  static final List<String> MERGES = List.of("▁ H", "l l", "e ll", "ell o", "▁H ello", "▁ w", "o r", "or l",
      "orl d", "▁w orld", "I N", "IN S", "INS T", "[ INST", "[INST ]", "[ /", "[/ INST", "[/INST ]", "▁ [INST]",
      "▁ [/INST]");

  private static final String METASPACE =
      "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"first\", \"split\": false}";

  private SentencePieceFixture() {
  }

  static Path write(Path dir) throws IOException {
    return write(dir, false);
  }

  /**
   * Writes the tokenizer; with {@code metaspace} it uses the newer layout instead (no normalizer, a Metaspace
   * pre-tokenizer and decoder with prepend_scheme "first", class PreTrainedTokenizerFast with BOS from the
   * post-processor), whose decoder leaves byte-fallback tokens as their text.
   */
  static Path write(Path dir, boolean metaspace) throws IOException {
    Files.createDirectories(dir);
    StringBuilder vocab = new StringBuilder();
    vocab.append("\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2");
    for (int b = 0; b < 256; b++) {
      vocab.append(String.format(", \"<0x%02X>\": %d", b, 3 + b));
    }
    for (int i = 0; i < PIECES.size(); i++) {
      vocab.append(", \"").append(PIECES.get(i)).append("\": ").append(259 + i);
    }
    List<String> merges = new ArrayList<>();
    for (String m : MERGES) {
      merges.add("\"" + m + "\"");
    }
    String json = "{\n"
        + "  \"version\": \"1.0\", \"truncation\": null, \"padding\": null,\n"
        + "  \"added_tokens\": [\n"
        + "    {\"id\": 0, \"content\": \"<unk>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
        + " \"normalized\": false, \"special\": true},\n"
        + "    {\"id\": 1, \"content\": \"<s>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
        + " \"normalized\": false, \"special\": true},\n"
        + "    {\"id\": 2, \"content\": \"</s>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
        + " \"normalized\": false, \"special\": true}],\n"
        + (metaspace
            ? "  \"normalizer\": null,\n  \"pre_tokenizer\": " + METASPACE + ",\n"
            : "  \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", \"prepend\": \"▁\"},"
            + " {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}]},\n"
            + "  \"pre_tokenizer\": null,\n")
        + "  \"post_processor\": {\"type\": \"TemplateProcessing\","
        + " \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
        + " \"pair\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}},"
        + " {\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 1}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}],"
        + " \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1], \"tokens\": [\"<s>\"]}}},\n"
        + (metaspace ? "  \"decoder\": " + METASPACE + ",\n"
            : "  \"decoder\": {\"type\": \"Sequence\", \"decoders\": ["
            + "{\"type\": \"Replace\", \"pattern\": {\"String\": \"▁\"}, \"content\": \" \"},"
            + " {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"},"
            + " {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]},\n")
        + "  \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": \"<unk>\","
        + " \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": true,"
        + " \"byte_fallback\": true, \"ignore_merges\": false,\n"
        + "    \"vocab\": {" + vocab + "},\n"
        + "    \"merges\": [" + String.join(", ", merges) + "]}\n"
        + "}\n";
    Files.writeString(dir.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
    String config = "{\n"
        + "  \"add_bos_token\": true, \"add_eos_token\": false,\n"
        + "  \"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"unk_token\": \"<unk>\", \"pad_token\": null,\n"
        + "  \"clean_up_tokenization_spaces\": false, \"legacy\": true,\n"
        + "  \"tokenizer_class\": \"" + (metaspace ? "PreTrainedTokenizerFast" : "LlamaTokenizerFast") + "\",\n"
        + "  \"chat_template\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(MISTRAL_TEMPLATE) + "\n"
        + "}\n";
    Files.writeString(dir.resolve("tokenizer_config.json"), config, StandardCharsets.UTF_8);
    return dir;
  }
}
