package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

  @TempDir
  static Path dir;
  static Path trained;

  @BeforeAll
  static void train() throws Exception {
    trained = dir.resolve("bpe");
    BpeTrainer trainer = new BpeTrainer(1000);
    TestCorpus.lines(1, 200_000).forEach(trainer::add);
    trainer.train().save(trained);
  }

  @Test
  void trainsTheRequestedVocabularyWithSpecialTokensFirst() throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(trained)) {
      assertThat(tok.vocabSize()).isEqualTo(1000);
      assertThat(tok.tokenId("<|endoftext|>")).hasValue(0);
      assertThat(tok.tokenId("<|im_start|>")).hasValue(1);
      assertThat(tok.tokenId("<|im_end|>")).hasValue(2);
      assertThat(tok.eosIds()).containsExactly(2);
      assertThat(tok.padId()).isEqualTo(0);
      assertThat(tok.bosId()).isEmpty();
      assertThat(tok.addsBos()).isFalse();
      assertThat(tok.chatTemplate().name()).isEqualTo("chatml");
      for (int id = 0; id < 3; id++) {
        assertThat(tok.tokenBytes(id)).isNull();
        assertThat(tok.isSpecial(id)).isTrue();
      }
      for (int b = 0; b < 256; b++) {
        assertThat(tok.tokenBytes(3 + b)).containsExactly((byte) b);
      }
    }
  }

  @Test
  void learnsFrequentJapaneseAndEnglishPieces() throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(trained)) {
      int[] ids = tok.encode("請求書を確認してください", false);
      assertThat(ids.length).isLessThan("請求書を確認してください".getBytes(StandardCharsets.UTF_8).length / 3);
      assertThat(tok.tokenId(ByteLevelAlphabet.encode(" invoice".getBytes(StandardCharsets.UTF_8)))).isPresent();
      assertThat(tok.tokenId(ByteLevelAlphabet.encode("請求書".getBytes(StandardCharsets.UTF_8)))).isPresent();
    }
  }

  @Test
  void sameCorpusGivesByteIdenticalFiles() throws Exception {
    Path again = dir.resolve("again");
    BpeTrainer trainer = new BpeTrainer(1000);
    TestCorpus.lines(1, 200_000).forEach(trainer::add);
    trainer.train().save(again);
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      assertThat(Files.readAllBytes(again.resolve(f))).as(f).isEqualTo(Files.readAllBytes(trained.resolve(f)));
    }
  }

  @Test
  void roundTripsAndTokenBytesSpellTheText() throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(trained)) {
      for (String text : TestCorpus.SAMPLES) {
        String nfc = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
        int[] ids = tok.encode(text, true);
        assertThat(tok.decode(ids, false)).as(text).isEqualTo(nfc);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
          bytes.writeBytes(tok.tokenBytes(id));
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).as(text).isEqualTo(nfc);
      }
    }
  }

  @Test
  void loneSurrogatesAreEncodedAsReplacementCharacters() throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(trained)) {
      assertThat(tok.decode(tok.encode("a\uD800b\uDC00😀x\uD83D", false), false)).isEqualTo("a\uFFFDb\uFFFD😀x\uFFFD");
      List<ChatSegment> chat = tok.chatTemplate().render(List.of(ChatMessage.user("q\uDC00"),
          ChatMessage.assistant("\uD800!")), false);
      ChatEncoding enc = tok.encodeChat(chat);
      assertThat(tok.decode(enc.ids(), false)).contains("q\uFFFD").contains("\uFFFD!<|im_end|>");
    }
  }

  @Test
  void rejectsAVocabularySmallerThanTheBytes() {
    assertThatThrownBy(() -> new BpeTrainer(200)).hasMessageContaining("256 byte tokens");
  }
}
