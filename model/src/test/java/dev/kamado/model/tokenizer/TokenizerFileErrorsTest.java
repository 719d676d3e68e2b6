package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerFileErrorsTest {

  @TempDir
  Path dir;

  private Path model(String tokenizerJson) throws Exception {
    Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson, StandardCharsets.UTF_8);
    return dir;
  }

  private Path validModel() throws Exception {
    return SentencePieceFixture.write(dir);
  }

  @Test
  void missingTokenizerJsonIsNamed() {
    assertThatThrownBy(() -> TextTokenizer.load(dir))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageStartingWith(dir.resolve("tokenizer.json").toString())
        .hasMessageContaining("file not found");
  }

  @Test
  void malformedJsonNamesFileAndPosition() throws Exception {
    Path m = model("{\n  \"model\": {\"type\": \"BPE\",\n  \"vocab\": {\"a\": 0,,}\n}\n");
    assertThatThrownBy(() -> TextTokenizer.load(m))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageStartingWith(m.resolve("tokenizer.json").toString())
        .hasMessageContaining("not valid JSON")
        .hasMessageContaining("line 3");
  }

  @Test
  void missingModelIsNamed() throws Exception {
    Path m = model("{\"version\": \"1.0\"}");
    assertThatThrownBy(() -> TextTokenizer.load(m)).hasMessageContaining("tokenizer.json")
        .hasMessageContaining("field 'model' is missing");
  }

  @Test
  void unsupportedDecoderIsNamed() throws Exception {
    Path m = model("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, \"a\": 1}, \"unk_token\": \"[UNK]\"},"
        + " \"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"##\"}}");
    assertThatThrownBy(() -> TextTokenizer.load(m)).hasMessageContaining("tokenizer.json")
        .hasMessageContaining("decoder type 'WordPiece' is not supported");
  }

  @Test
  void whatTheNativeLibraryRejectsIsReportedWithTheFile() throws Exception {
    // a merge of tokens that are not in the vocabulary
    Path m = model("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a c\"]},"
        + " \"decoder\": {\"type\": \"ByteLevel\"}}");
    assertThatThrownBy(() -> TextTokenizer.load(m))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageStartingWith(m.resolve("tokenizer.json").toString())
        .hasMessageContaining("the tokenizers library rejected it");
  }

  @Test
  void malformedTokenizerConfigIsNamed() throws Exception {
    Path m = validModel();
    Files.writeString(m.resolve("tokenizer_config.json"), "{\"eos_token\": 5}");
    assertThatThrownBy(() -> TextTokenizer.load(m))
        .hasMessageStartingWith(m.resolve("tokenizer_config.json").toString())
        .hasMessageContaining("eos_token must be a string");
  }

  @Test
  void specialTokenThatIsNotInTheVocabularyIsNamed() throws Exception {
    Path m = validModel();
    Files.writeString(m.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|eot|>\"}");
    assertThatThrownBy(() -> TextTokenizer.load(m))
        .hasMessageContaining("tokenizer_config.json")
        .hasMessageContaining("eos_token '<|eot|>' is not a token of tokenizer.json");
  }

  @Test
  void generationConfigEosIdsAreAddedAndChecked() throws Exception {
    Path m = validModel();
    Files.writeString(m.resolve("generation_config.json"), "{\"eos_token_id\": [2, 0]}");
    try (TextTokenizer tok = TextTokenizer.load(m)) {
      assertThat(tok.eosIds()).containsExactly(2, 0);
    }
    Files.writeString(m.resolve("generation_config.json"), "{\"eos_token_id\": 100000}");
    assertThatThrownBy(() -> TextTokenizer.load(m))
        .hasMessageContaining("generation_config.json")
        .hasMessageContaining("eos_token_id 100000 is outside the vocabulary");
  }

  @Test
  void theChatTemplatesEndOfTurnTokenEndsGenerationToo() throws Exception {
    Path m = dir.resolve("llama3");
    java.nio.file.Files.createDirectories(m);
    String flags = ", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, "
        + "\"special\": true}";
    String json = "{\"added_tokens\": [{\"id\": 256, \"content\": \"<|begin_of_text|>\"" + flags + ","
        + " {\"id\": 257, \"content\": \"<|end_of_text|>\"" + flags + ","
        + " {\"id\": 258, \"content\": \"<|eot_id|>\"" + flags + "],"
        + " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": true},"
        + " \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": true},"
        + " \"model\": {\"type\": \"BPE\", \"vocab\": " + byteVocab() + ", \"merges\": []}}";
    Files.writeString(m.resolve("tokenizer.json"), json);
    Files.writeString(m.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\":"
        + " \"<|end_of_text|>\", \"chat_template\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(
        ChatTemplatesTest.LLAMA3) + "}");
    try (TextTokenizer tok = TextTokenizer.load(m)) {
      assertThat(tok.chatTemplate().name()).isEqualTo("llama3");
      assertThat(tok.eosIds()).containsExactly(257, 258);
      assertThat(tok.padId()).isEqualTo(257);
      assertThat(tok.tokenBytes('A')).containsExactly((byte) 'A');
      assertThat(tok.tokenBytes(' ')).containsExactly((byte) ' ');
      assertThat(tok.decode(tok.encode("héllo 猫", false), false)).isEqualTo("héllo 猫");
    }
  }

  private static String byteVocab() {
    StringBuilder v = new StringBuilder("{");
    for (int b = 0; b < 256; b++) {
      String t = String.valueOf(ByteLevelAlphabet.charOf(b));
      v.append(b == 0 ? "" : ", ").append(com.fasterxml.jackson.databind.node.TextNode.valueOf(t)).append(": ").append(b);
    }
    return v.append("}").toString();
  }

  @Test
  void idsOutsideTheVocabularyAreRefused() throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(validModel())) {
      assertThatThrownBy(() -> tok.decode(new int[] {1, 99999}, false))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 99999");
      assertThatThrownBy(() -> tok.tokenBytes(-1)).hasMessageContaining("token id -1");
    }
  }
}
