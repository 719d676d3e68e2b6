package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The newer sentencepiece layout: Metaspace pre-tokenizer and decoder, BOS from the post-processor. */
class MetaspaceTokenizerTest {

  @Test
  void metaspaceDecoderGivesSpacesAndDropsTheFirstOne(@TempDir Path dir) throws Exception {
    try (TextTokenizer tok = TextTokenizer.load(SentencePieceFixture.write(dir, true))) {
      assertThat(tok.leadingSpacesStripped()).isEqualTo(1);
      assertThat(tok.addsBos()).isTrue();
      assertThat(tok.encode("Hello world", true)).containsExactly(1, 259 + 12, 259 + 17);
      assertThat(tok.tokenBytes(259 + 17)).isEqualTo(" world".getBytes(StandardCharsets.UTF_8));
      // without ByteFallback in the decoder, a byte token decodes as its own text
      assertThat(tok.tokenBytes(3 + 0xE7)).isEqualTo("<0xE7>".getBytes(StandardCharsets.UTF_8));
      // as in Hugging Face: no ▁ is prepended to text that starts with a space, and the decoder drops the first one
      assertThat(tok.decode(tok.encode(" Hello", false), true)).isEqualTo("Hello");
      for (String text : List.of("Hello world", "Hello, world!", "猫は猫", "[INST] Hello [/INST]")) {
        int[] ids = tok.encode(text, true);
        assertThat(tok.decode(ids, true)).as(text).isEqualTo(text);
        IncrementalDecoderTest.assertStreamsLikeOneShot(tok, ids, true);
        IncrementalDecoderTest.assertStreamsLikeOneShot(tok, ids, false);
      }
      int[] dog = tok.encode("犬", false);
      assertThat(tok.decode(dog, true)).isEqualTo("<0xE7><0x8A><0xAC>");
      IncrementalDecoderTest.assertStreamsLikeOneShot(tok, dog, true);
    }
  }
}
