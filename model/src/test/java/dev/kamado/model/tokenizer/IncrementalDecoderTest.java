package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncrementalDecoderTest {

  @TempDir
  static Path dir;
  static TextTokenizer tok;

  @BeforeAll
  static void train() throws Exception {
    BpeTrainer trainer = new BpeTrainer(600);
    TestCorpus.lines(7, 50_000).forEach(trainer::add);
    trainer.train().save(dir.resolve("bpe"));
    tok = TextTokenizer.load(dir.resolve("bpe"));
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  /**
   * Streams {@code ids} and checks, for every split point k, that the text returned after k tokens is a prefix of the
   * one-shot decode of all ids, that at most one incomplete character (3 bytes) is held back, and that everything
   * returned (with finish) equals the one-shot decode of all ids. For byte-level tokenizers it also checks that the
   * text after k tokens equals the one-shot decode of the first k tokens minus a trailing incomplete character
   * (sentencepiece ByteFallback turns a whole run of byte tokens into U+FFFD when the run is cut, so there a decode
   * of a prefix is no oracle).
   */
  static void assertStreamsLikeOneShot(TextTokenizer tok, int[] ids, boolean skipSpecial) {
    boolean exactPrefixes = tok.leadingSpacesStripped() == 0;
    String full = tok.decode(ids, skipSpecial);
    IncrementalDecoder decoder = tok.newDecoder(skipSpecial);
    StringBuilder streamed = new StringBuilder();
    for (int k = 0; k < ids.length; k++) {
      String piece = decoder.next(ids[k]);
      streamed.append(piece);
      String prefix = tok.decode(Arrays.copyOf(ids, k + 1), skipSpecial);
      String complete = prefix;
      while (complete.endsWith("\uFFFD") && !full.startsWith(complete)) {
        complete = complete.substring(0, complete.length() - 1);
      }
      if (exactPrefixes) {
        assertThat(streamed.toString()).as("after %d of %s", k + 1, Arrays.toString(ids)).isEqualTo(complete);
      }
      assertThat(full).startsWith(streamed.toString());
      assertThat(decoder.pendingBytes()).isLessThanOrEqualTo(3);
    }
    streamed.append(decoder.finish());
    assertThat(streamed.toString()).isEqualTo(full);
  }

  @Test
  void japaneseSplitAcrossByteTokensComesOutWhole() {
    // 鬱 is rare in the corpus: its three UTF-8 bytes stay separate byte tokens
    int[] ids = tok.encode("鬱", false);
    assertThat(ids).hasSize(3);
    IncrementalDecoder decoder = tok.newDecoder(true);
    assertThat(decoder.next(ids[0])).isEmpty();
    assertThat(decoder.next(ids[1])).isEmpty();
    assertThat(decoder.next(ids[2])).isEqualTo("鬱");
    assertThat(decoder.finish()).isEmpty();
  }

  @Test
  void everySplitOfMixedTextMatchesOneShotDecoding() {
    List<String> texts = List.of("吾輩は猫である。名前はまだ無い。", "Emoji: 😀🎉👍🏽 and 🇯🇵 — done.",
        "{\"summary\": \"請求書が届いていません\", \"urgency\": 3}", "鬱蒼とした森 𠮷野家 ｶﾀｶﾅ",
        "<|im_start|>assistant\n了解です<|im_end|>\n");
    for (String text : texts) {
      int[] ids = tok.encode(text, false);
      assertStreamsLikeOneShot(tok, ids, true);
      assertStreamsLikeOneShot(tok, ids, false);
    }
  }

  @Test
  void specialTokensAreSkippedOrSpelledOut() {
    int imEnd = tok.tokenId("<|im_end|>").orElseThrow();
    assertThat(tok.newDecoder(true).next(imEnd)).isEmpty();
    assertThat(tok.newDecoder(false).next(imEnd)).isEqualTo("<|im_end|>");
  }

  @Test
  void anIncompleteCharacterAtTheEndBecomesAReplacementCharacter() {
    int[] ids = tok.encode("鬱", false);
    IncrementalDecoder decoder = tok.newDecoder(true);
    decoder.next(ids[0]);
    decoder.next(ids[1]);
    assertThat(decoder.pendingBytes()).isEqualTo(2);
    assertThat(decoder.finish()).isEqualTo(tok.decode(new int[] {ids[0], ids[1]}, true)).isEqualTo("\uFFFD");
    assertThat(decoder.pendingBytes()).isZero();
  }
}
