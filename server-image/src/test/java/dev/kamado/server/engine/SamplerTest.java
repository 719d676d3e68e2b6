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
}
