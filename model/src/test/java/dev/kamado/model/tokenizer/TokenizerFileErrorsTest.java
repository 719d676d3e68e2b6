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
  void idsOutsideTheVocabularyAreRefused() throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(validModel())) {
      assertThatThrownBy(() -> tok.decode(new int[] {1, 99999}, false))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 99999");
      assertThatThrownBy(() -> tok.tokenBytes(-1)).hasMessageContaining("token id -1");
    }
  }
}
