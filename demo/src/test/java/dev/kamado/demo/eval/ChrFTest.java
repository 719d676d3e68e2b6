package dev.kamado.demo.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** chrF against values published in sacrebleu's own test suite, and against hand-computed values. */
class ChrFTest {
  private static final double EPS = 1e-4;

  /** sacrebleu test_chrf: corpus_chrf(..., char_order=6, word_order=0, beta=3, eps_smoothing=True). */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "abcdefg|hijklmnop|0.0",
      "a|b|0.0",
      "|b|0.0",
      "|ref|0.0",
      "|reference|0.0",
      "aa|ab|8.3333",
      "a|a|16.6667",
      "a b c|a b c|50.0",
      "a b c|abc|50.0",
      "' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'"
          + "|risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .|63.361730",
      "' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '"
          + "|Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.|64.1302698",
      "Niemand hat die Absicht, eine Mauer zu errichten|Niemand hat die Absicht, eine Mauer zu errichten|100.0"})
  void epsSmoothingMatchesSacrebleu(String hyp, String ref, double expected) {
    ChrF chrf = new ChrF(6, 3, true);
    assertThat(chrf.corpusScore(List.of(nullToEmpty(hyp)), List.of(ref))).isCloseTo(expected, within(EPS));
  }

  @Test
  void corpusStatisticsAreSummedOverSentences() {
    // sacrebleu: (["a", "b"], ["a", "c"]) -> 8.3333 with eps smoothing, 50.0 with effective order (beta 3).
    assertThat(new ChrF(6, 3, true).corpusScore(List.of("a", "b"), List.of("a", "c"))).isCloseTo(8.3333, within(EPS));
    assertThat(new ChrF(6, 3, false).corpusScore(List.of("a", "b"), List.of("a", "c"))).isCloseTo(50.0, within(EPS));
  }

  /** sacrebleu test_chrf_eff_order: beta=3, eps_smoothing=False (the default mode). */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"a|a|100.0", "|reference|0.0", "a b c|a b c|100.0", "a b c|abc|100.0",
      "|c|0.0", "aa|ab|25.0"})
  void effectiveOrderMatchesSacrebleu(String hyp, String ref, double expected) {
    assertThat(new ChrF(6, 3, false).corpusScore(List.of(nullToEmpty(hyp)), List.of(ref)))
        .isCloseTo(expected, within(EPS));
  }

  /** sacrebleu test_chrf_sentence_level: sentence_chrf(hyp, refs, eps_smoothing=True), default beta 2. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.'"
          + "|'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.'|39.14078509",
      "'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.'"
          + "|'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.'|31.22557079",
      "'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.'"
          + "|'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.'|57.15704367"})
  void sentenceLevelMatchesSacrebleu(String hyp, String ref, double expected) {
    assertThat(new ChrF(6, 2, true).sentenceScore(hyp, ref)).isCloseTo(expected, within(EPS));
  }

  @Test
  void defaultChrF2ByHand() {
    ChrF chrf = ChrF.standard();
    // "ab" vs "ac": 1-grams P = R = 1/2, 2-grams P = R = 0; both orders effective -> P = R = 1/4 -> F = 25.
    assertThat(chrf.sentenceScore("ab", "ac")).isCloseTo(25.0, within(1e-9));
    // "abc" vs "ab": 1-grams P = 2/3, R = 1; 2-grams P = 1/2, R = 1; 3-grams only in the hypothesis (not effective).
    // P = 7/12, R = 1 -> F2 = 5 * 7/12 / (4 * 7/12 + 1) = (35/12) / (40/12) = 0.875.
    assertThat(chrf.sentenceScore("abc", "ab")).isCloseTo(87.5, within(1e-9));
    // Japanese counts code points: "経費精算" vs "経費申請": 1-grams 2/4, 2-grams 1/3, others 0 (effective).
    // P = R = (1/2 + 1/3 + 0 + 0) / 4 = 5/24 -> F = 5/24.
    assertThat(chrf.sentenceScore("経費精算", "経費申請")).isCloseTo(100 * 5.0 / 24, within(1e-9));
    assertThat(chrf.sentenceScore("same text", "same text")).isCloseTo(100.0, within(1e-9));
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
