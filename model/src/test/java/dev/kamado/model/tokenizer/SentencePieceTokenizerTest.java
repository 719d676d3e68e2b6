package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SentencePieceTokenizerTest {

  static final List<String> TEXTS = List.of("Hello world", "Hello, world!", "猫は猫", "犬と猫 😀", " Hello",
      "Hello  world ", "[INST] Hello [/INST]", "");

  @TempDir
  static Path dir;
  static TextTokenizer tok;

  @BeforeAll
  static void load() throws Exception {
    tok = TextTokenizer.load(SentencePieceFixture.write(dir.resolve("sp")));
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  @Test
  void readsSpecialTokensAndAddsBos() {
    assertThat(tok.bosId()).hasValue(1);
    assertThat(tok.eosIds()).containsExactly(2);
    assertThat(tok.padId()).isEqualTo(2);
    assertThat(tok.addsBos()).isTrue();
    assertThat(tok.encode("Hello world", true)).containsExactly(1, 259 + 12, 259 + 17);
    assertThat(tok.encode("Hello world", false)).containsExactly(259 + 12, 259 + 17);
    assertThat(tok.vocabSize()).isEqualTo(259 + SentencePieceFixture.PIECES.size());
    assertThat(tok.chatTemplate().name()).isEqualTo("mistral");
  }

  @Test
  void tokenBytesUseSpaceForMetaspaceAndOneByteForFallbackTokens() {
    assertThat(tok.tokenBytes(259 + 12)).isEqualTo(" Hello".getBytes(StandardCharsets.UTF_8));
    assertThat(tok.tokenBytes(259)).isEqualTo(" ".getBytes(StandardCharsets.UTF_8));
    assertThat(tok.tokenBytes(3 + 0xE7)).containsExactly((byte) 0xE7);
    assertThat(tok.tokenBytes(3)).containsExactly((byte) 0);
    assertThat(tok.tokenBytes(259 + 18)).isEqualTo("猫".getBytes(StandardCharsets.UTF_8));
    assertThat(tok.tokenBytes(0)).isNull();
    assertThat(tok.tokenBytes(1)).isNull();
    assertThat(tok.leadingSpacesStripped()).isEqualTo(1);
  }

  @Test
  void unknownCharactersFallBackToBytesAndRoundTrip() {
    int[] ids = tok.encode("犬", false);
    // ▁ then the three UTF-8 bytes of 犬 (E7 8A AC)
    assertThat(ids).containsExactly(259, 3 + 0xE7, 3 + 0x8A, 3 + 0xAC);
    for (String text : TEXTS) {
      int[] enc = tok.encode(text, true);
      assertThat(tok.decode(enc, true)).as(text).isEqualTo(text);
      assertThat(tok.decode(enc, false)).as(text).isEqualTo("<s>" + (text.isEmpty() ? "" : " " + text));
    }
  }

  @Test
  void tokenBytesSpellTheTextAfterTheDecoderStripsTheFirstSpace() {
    for (String text : TEXTS) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int id : tok.encode(text, false)) {
        out.writeBytes(tok.tokenBytes(id));
      }
      String spelled = out.toString(StandardCharsets.UTF_8);
      assertThat(spelled.isEmpty() ? spelled : spelled.substring(1)).as(text).isEqualTo(text);
    }
  }

  @Test
  void encodeChatSkipsThePrependedSpacesWhenMarkingTrainableTokens() {
    List<ChatMessage> chat = List.of(ChatMessage.user("Hello"), ChatMessage.assistant("Hello world!"),
        ChatMessage.user("猫"), ChatMessage.assistant("犬😀"));
    List<ChatSegment> segments = tok.chatTemplate().render(chat, false);
    ChatEncoding enc = tok.encodeChat(segments);
    assertThat(enc.ids()).isEqualTo(tok.encode(tok.chatTemplate().renderText(chat, false), false));
    assertThat(enc.ids()[0]).isEqualTo(1);
    StringBuilder trained = new StringBuilder();
    int start = -1;
    for (int i = 0; i <= enc.ids().length; i++) {
      boolean t = i < enc.ids().length && enc.trainable()[i];
      if (t && start < 0) {
        start = i;
      } else if (!t && start >= 0) {
        trained.append(tok.decode(java.util.Arrays.copyOfRange(enc.ids(), start, i), false)).append('|');
        start = -1;
      }
    }
    assertThat(trained.toString()).isEqualTo("Hello world!</s>|犬😀</s>|");
  }

  @Test
  void incrementalDecodingMatchesOneShotDecoding() {
    for (String text : TEXTS) {
      int[] ids = tok.encode(text, true);
      IncrementalDecoderTest.assertStreamsLikeOneShot(tok, ids, true);
      IncrementalDecoderTest.assertStreamsLikeOneShot(tok, ids, false);
    }
  }
}
