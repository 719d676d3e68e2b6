package dev.kamado.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

  private static SamplingParams params(double temperature, double topP) {
    return new SamplingParams(10, temperature, topP, 1, List.of());
  }

  @Test
  void greedyTakesTheFirstMaximum() {
    Sampler sampler = new Sampler(5);
    float[] logits = {0, 3, 1, 3, -1};
    assertThat(sampler.sample(logits, null, 5, params(0, 1), new SplittableRandom(0))).isEqualTo(1);
  }

  @Test
  void maskExcludesTokensEvenWhenTheyAreTheMaximum() {
    Sampler sampler = new Sampler(5);
    float[] logits = {0, 3, 1, 3, -1};
    long[] mask = {0b10101L};
    assertThat(sampler.sample(logits, mask, 5, params(0, 1), new SplittableRandom(0))).isEqualTo(2);
    long[] none = {0L};
    assertThat(sampler.sample(new float[] {1, 2, 3, 4, 5}, none, 5, params(0.7, 1), new SplittableRandom(0)))
        .isEqualTo(-1);
  }

  /**
   * A mask that allows few tokens is sampled among its ids only: the pick must be the dense path's (every other logit
   * at -inf, no mask), for greedy, temperature and top-p, with ties, masks reaching past the id limit, and masks just
   * above and below the sparse threshold (1/16 of the vocabulary).
   */
  @Test
  void sparseMaskPicksWhatTheDenseMaskPicks() {
    int vocab = 1000;
    int limit = 990;
    Sampler sparse = new Sampler(vocab);
    Sampler dense = new Sampler(vocab);
    SplittableRandom gen = new SplittableRandom(17);
    int sparseCases = 0;
    for (int trial = 0; trial < 3000; trial++) {
      float[] logits = new float[vocab];
      for (int i = 0; i < vocab; i++) {
        logits[i] = trial % 5 == 0 ? (float) gen.nextInt(3) : (float) (gen.nextGaussian() * (1 + trial % 7));
      }
      long[] mask = new long[(vocab + 63) / 64];
      int allowed = 1 + gen.nextInt(trial % 3 == 0 ? 90 : 40);
      for (int k = 0; k < allowed; k++) {
        int id = gen.nextInt(vocab);
        mask[id / 64] |= 1L << (id % 64);
      }
      int set = 0;
      for (int i = 0; i < limit; i++) {
        set += (mask[i / 64] >>> (i % 64) & 1) != 0 ? 1 : 0;
      }
      sparseCases += set <= limit / 16 ? 1 : 0;
      float[] masked = logits.clone();
      for (int i = 0; i < vocab; i++) {
        if ((mask[i / 64] >>> (i % 64) & 1) == 0) {
          masked[i] = Float.NEGATIVE_INFINITY;
        }
      }
      double temperature = trial % 4 == 0 ? 0 : 0.3 + gen.nextDouble();
      double topP = trial % 3 == 0 ? 1.0 : 0.2 + 0.8 * gen.nextDouble();
      long seed = gen.nextLong();
      int expected = dense.sample(masked, null, limit, params(temperature, topP), new SplittableRandom(seed));
      int actual = sparse.sample(logits.clone(), mask, limit, params(temperature, topP), new SplittableRandom(seed));
      assertThat(actual).as("trial %d: %d allowed, temperature %s, top-p %s", trial, set, temperature, topP)
          .isEqualTo(expected);
    }
    assertThat(sparseCases).as("trials on the sparse path").isGreaterThan(1000).isLessThan(3000);
  }

  @Test
  void idsAtOrAboveTheLimitAreNeverPicked() {
    Sampler sampler = new Sampler(4);
    assertThat(sampler.sample(new float[] {0, 1, 2, 9}, null, 3, params(0, 1), new SplittableRandom(0)))
        .isEqualTo(2);
  }

  @Test
  void sameSeedSameSamplesAndTopPKeepsOnlyTheNucleus() {
    Sampler sampler = new Sampler(4);
    float[] logits = {5, 4.9f, -10, -10};
    SplittableRandom a = new SplittableRandom(42);
    SplittableRandom b = new SplittableRandom(42);
    int[] counts = new int[4];
    for (int i = 0; i < 2000; i++) {
      int x = sampler.sample(logits.clone(), null, 4, params(1.0, 0.9), a);
      int y = sampler.sample(logits.clone(), null, 4, params(1.0, 0.9), b);
      assertThat(x).isEqualTo(y);
      counts[x]++;
    }
    assertThat(counts[2] + counts[3]).isZero();
    assertThat(counts[0]).isGreaterThan(500);
    assertThat(counts[1]).isGreaterThan(500);
  }

  @Test
  void temperatureSamplingFollowsTheDistribution() {
    Sampler sampler = new Sampler(2);
    SplittableRandom random = new SplittableRandom(7);
    int ones = 0;
    for (int i = 0; i < 4000; i++) {
      ones += sampler.sample(new float[] {0, (float) Math.log(3)}, null, 2, params(1.0, 1), random);
    }
    assertThat(ones / 4000.0).isBetween(0.70, 0.80);
  }

  private static final int[] NUCLEUS_WITHIN_PREFILTER = new int[2];

  /** Top-p as defined: sort every positive weight (largest first, ties by lower id), cut at topP of the total, draw. */
  private static int topPReference(float[] logits, double temperature, double topP, SplittableRandom random) {
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    float invT = (float) (1.0 / temperature);
    float[] w = new float[logits.length];
    double total = 0;
    java.util.List<Integer> ids = new java.util.ArrayList<>();
    for (int i = 0; i < logits.length; i++) {
      w[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0f : dev.kamado.model.llama.Exp.exp((logits[i] - max) * invT);
      total += w[i];
      if (w[i] > 0) {
        ids.add(i);
      }
    }
    ids.sort((x, y) -> w[x] != w[y] ? Float.compare(w[y], w[x]) : Integer.compare(x, y));
    double kept = 0;
    int count = 0;
    while (count < ids.size()) {
      kept += w[ids.get(count++)];
      if (kept >= topP * total) {
        break;
      }
    }
    // whether the nucleus lies within the weights of at least 1/256 (the sampler's first, partial sort) or not
    NUCLEUS_WITHIN_PREFILTER[w[ids.get(count - 1)] >= 1f / 256 && kept >= topP * total ? 1 : 0]++;
    double u = random.nextDouble() * kept;
    double acc = 0;
    for (int k = 0; k < count; k++) {
      acc += w[ids.get(k)];
      if (acc > u) {
        return ids.get(k);
      }
    }
    return ids.get(count - 1);
  }

  @Test
  void topPPicksWhatSortingTheWholeVocabularyPicks() {
    SplittableRandom gen = new SplittableRandom(7);
    Sampler sampler = new Sampler(3000);
    java.util.Arrays.fill(NUCLEUS_WITHIN_PREFILTER, 0);
    for (int row = 0; row < 400; row++) {
      // peaked rows (a trained model: the nucleus is a few tokens) and flat ones (random weights: most of the
      // vocabulary), with ties and masked-out tokens
      double spread = row % 4 == 0 ? 0.05 : row % 4 == 1 ? 1 : row % 4 == 2 ? 4 : 12;
      float[] logits = new float[3000];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = gen.nextInt(10) == 0 ? Float.NEGATIVE_INFINITY
            : row % 8 == 3 ? (float) Math.floor(gen.nextGaussian() * 3) : (float) (gen.nextGaussian() * spread);
      }
      double temperature = 0.3 + gen.nextDouble() * 1.5;
      double topP = new double[] {0.1, 0.5, 0.9, 0.95, 0.999}[row % 5];
      long seed = gen.nextLong();
      int expected = topPReference(logits, temperature, topP, new SplittableRandom(seed));
      int actual = sampler.sample(logits.clone(), null, 3000, params(temperature, topP), new SplittableRandom(seed));
      assertThat(actual).as("row %d (spread %s, temperature %s, top_p %s)", row, spread, temperature, topP)
          .isEqualTo(expected);
    }
    assertThat(NUCLEUS_WITHIN_PREFILTER[0]).as("rows whose nucleus needs the whole sort").isGreaterThan(20);
    assertThat(NUCLEUS_WITHIN_PREFILTER[1]).as("rows whose nucleus lies in the partial sort").isGreaterThan(20);
  }
}
