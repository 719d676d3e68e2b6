package dev.kamado.demo.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * chrF (Popović 2015) computed as sacrebleu's {@code CHRF} does: character n-grams of orders 1 to
 * {@code charOrder} over the text with all whitespace removed, statistics summed over the corpus, then an F-score
 * with recall weighted {@code beta} times. With {@code epsSmoothing} false (sacrebleu's default) precision and recall
 * are averaged over the orders that both sides have n-grams of; with it true the per-order F-scores are averaged with
 * a small epsilon for empty orders. Defaults: {@link #standard()} = charOrder 6, beta 2, no eps smoothing.
 */
public final class ChrF {
  private static final double EPS = 1e-16;

  private final int charOrder;
  private final double beta;
  private final boolean epsSmoothing;

  public ChrF(int charOrder, double beta, boolean epsSmoothing) {
    if (charOrder < 1 || beta <= 0) {
      throw new IllegalArgumentException("chrF needs charOrder >= 1 and beta > 0");
    }
    this.charOrder = charOrder;
    this.beta = beta;
    this.epsSmoothing = epsSmoothing;
  }

  /** sacrebleu's defaults: {@code chrF2}, character 6-grams, no word n-grams. */
  public static ChrF standard() {
    return new ChrF(6, 2.0, false);
  }

  /** Corpus chrF (0..100) of hypotheses against one reference each. */
  public double corpusScore(List<String> hypotheses, List<String> references) {
    if (hypotheses.size() != references.size()) {
      throw new IllegalArgumentException("chrF: " + hypotheses.size() + " hypotheses but " + references.size()
          + " references");
    }
    long[] stats = new long[3 * charOrder];
    for (int i = 0; i < hypotheses.size(); i++) {
      addStatistics(hypotheses.get(i), references.get(i), stats);
    }
    return fScore(stats);
  }

  /** Sentence chrF (0..100). */
  public double sentenceScore(String hypothesis, String reference) {
    long[] stats = new long[3 * charOrder];
    addStatistics(hypothesis, reference, stats);
    return fScore(stats);
  }

  private void addStatistics(String hypothesis, String reference, long[] stats) {
    int[] hyp = withoutWhitespace(hypothesis);
    int[] ref = withoutWhitespace(reference);
    for (int n = 1; n <= charOrder; n++) {
      Map<String, Integer> h = ngrams(hyp, n);
      Map<String, Integer> r = ngrams(ref, n);
      long hypCount = Math.max(0, hyp.length - n + 1);
      long refCount = Math.max(0, ref.length - n + 1);
      long matches = 0;
      for (Map.Entry<String, Integer> e : h.entrySet()) {
        matches += Math.min(e.getValue(), r.getOrDefault(e.getKey(), 0));
      }
      stats[3 * (n - 1)] += hypCount;
      stats[3 * (n - 1) + 1] += refCount;
      stats[3 * (n - 1) + 2] += matches;
    }
  }

  private double fScore(long[] stats) {
    double factor = beta * beta;
    double score = 0;
    double avgPrecision = 0;
    double avgRecall = 0;
    int effectiveOrder = 0;
    for (int i = 0; i < charOrder; i++) {
      long hyp = stats[3 * i];
      long ref = stats[3 * i + 1];
      long match = stats[3 * i + 2];
      double precision = hyp > 0 ? (double) match / hyp : EPS;
      double recall = ref > 0 ? (double) match / ref : EPS;
      double denominator = factor * precision + recall;
      score += denominator > 0 ? (1 + factor) * precision * recall / denominator : EPS;
      if (hyp > 0 && ref > 0) {
        avgPrecision += precision;
        avgRecall += recall;
        effectiveOrder++;
      }
    }
    if (epsSmoothing) {
      return 100 * score / charOrder;
    }
    if (effectiveOrder == 0) {
      return 0;
    }
    avgPrecision /= effectiveOrder;
    avgRecall /= effectiveOrder;
    if (avgPrecision + avgRecall == 0) {
      return 0;
    }
    return 100 * (1 + factor) * avgPrecision * avgRecall / (factor * avgPrecision + avgRecall);
  }

  private static int[] withoutWhitespace(String s) {
    return s.codePoints().filter(cp -> !Character.isWhitespace(cp)).toArray();
  }

  private static Map<String, Integer> ngrams(int[] cps, int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i + n <= cps.length; i++) {
      counts.merge(new String(cps, i, n), 1, Integer::sum);
    }
    return counts;
  }
}
