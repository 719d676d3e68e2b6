package dev.kamado.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataPlanTest {
  @Test
  void orderDependsOnlyOnSeedAndEpoch() {
    assertThat(DataPlan.permutation(50, 7, 0)).containsExactly(DataPlan.permutation(50, 7, 0));
    assertThat(DataPlan.permutation(50, 7, 1)).isNotEqualTo(DataPlan.permutation(50, 7, 0));
    assertThat(DataPlan.permutation(50, 8, 0)).isNotEqualTo(DataPlan.permutation(50, 7, 0));
    int[] sorted = DataPlan.permutation(50, 7, 3).clone();
    Arrays.sort(sorted);
    assertThat(sorted).containsExactly(java.util.stream.IntStream.range(0, 50).toArray());
  }

  @Test
  void packingFillsRowsUpToTheMaximumAndKeepsEveryExampleOncePerEpoch() {
    int[] lengths = {5, 3, 4, 8, 2, 6, 1, 7};
    DataPlan plan = DataPlan.of(lengths, 2, 8, true, true, 1, 2);
    List<Integer> seen = new ArrayList<>();
    int epochBatches = plan.perEpoch();
    for (int b = 0; b < epochBatches; b++) {
      int[][] rows = plan.microBatch(b);
      assertThat(rows.length).isBetween(1, 2);
      for (int[] row : rows) {
        assertThat(Arrays.stream(row).map(i -> lengths[i]).sum()).isLessThanOrEqualTo(8);
        Arrays.stream(row).forEach(seen::add);
      }
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(plan.epochAt(0)).isZero();
    assertThat(plan.epochAt(epochBatches)).isEqualTo(1.0);
  }

  @Test
  void withoutPackingEachRowIsOneExample() {
    DataPlan plan = DataPlan.of(new int[] {1, 2, 3, 4, 5}, 2, 8, false, false, 1, 1);
    assertThat(plan.size()).isEqualTo(3);
    assertThat(plan.microBatch(2)).hasDimensions(1, 1);
  }

  /** Lengths like SFT data: most examples short, a long tail (log-normal), plus a few very long ones. */
  private static int[] skewedLengths(int n, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    int[] lengths = new int[n];
    for (int i = 0; i < n; i++) {
      lengths[i] = (int) Math.min(512, Math.max(8, Math.round(Math.exp(4.6 + 0.5 * rnd.nextGaussian()))));
    }
    return lengths;
  }

  @Test
  void lengthGroupingKeepsEveryExampleOncePerEpochAndPadsLess() {
    int[] lengths = skewedLengths(2003, 5);
    int batch = 16;
    DataPlan grouped = DataPlan.of(lengths, batch, 512, false, true, 9, 3);
    DataPlan plain = DataPlan.of(lengths, batch, 512, false, false, 9, 3);
    assertThat(grouped.size()).isEqualTo(plain.size()).isEqualTo(3 * 126);
    assertThat(grouped.perEpoch()).isEqualTo(126);
    for (int epoch = 0; epoch < 3; epoch++) {
      int[] seen = new int[lengths.length];
      for (int b = epoch * 126; b < (epoch + 1) * 126; b++) {
        int[][] rows = grouped.microBatch(b);
        assertThat(rows.length).isBetween(1, batch);
        for (int[] row : rows) {
          assertThat(row).hasSize(1);
          seen[row[0]]++;
        }
      }
      assertThat(seen).as("epoch %d", epoch).containsOnly(1);
    }
    double groupedPadding = grouped.paddingFactor(lengths);
    double plainPadding = plain.paddingFactor(lengths);
    assertThat(plainPadding).isGreaterThan(1.3);
    assertThat(groupedPadding).isLessThan(1.1).isLessThan(plainPadding);
    // the longest example's micro-batch comes first in each epoch, so memory peaks at the first step
    int longest = Arrays.stream(lengths).max().getAsInt();
    for (int epoch = 0; epoch < 3; epoch++) {
      assertThat(lengths[grouped.microBatch(epoch * 126)[0][0]]).isEqualTo(longest);
    }
  }

  @Test
  void lengthGroupedPlanIsAPureFunctionOfLengthsSettingsSeedAndEpoch() {
    int[] lengths = skewedLengths(900, 6);
    DataPlan a = DataPlan.of(lengths, 8, 512, false, true, 3, 2);
    DataPlan b = DataPlan.of(lengths.clone(), 8, 512, false, true, 3, 2);
    DataPlan otherSeed = DataPlan.of(lengths, 8, 512, false, true, 4, 2);
    assertThat(a.size()).isEqualTo(b.size());
    List<String> batchesA = new ArrayList<>();
    List<String> batchesOther = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.microBatch(i)).isDeepEqualTo(b.microBatch(i));
      batchesA.add(Arrays.deepToString(a.microBatch(i)));
      batchesOther.add(Arrays.deepToString(otherSeed.microBatch(i)));
    }
    assertThat(batchesOther).isNotEqualTo(batchesA);
    // epochs differ in order, not only in the first epoch's layout
    assertThat(batchesA.subList(a.perEpoch(), 2 * a.perEpoch())).isNotEqualTo(batchesA.subList(0, a.perEpoch()));
    // batches are not simply sorted by length: the shuffled batch order mixes long and short ones
    int[] maxima = new int[a.perEpoch()];
    for (int i = 0; i < maxima.length; i++) {
      maxima[i] = Arrays.stream(a.microBatch(i)).mapToInt(r -> lengths[r[0]]).max().getAsInt();
    }
    int[] sorted = maxima.clone();
    Arrays.sort(sorted);
    int[] descending = java.util.stream.IntStream.range(0, sorted.length).map(i -> sorted[sorted.length - 1 - i])
        .toArray();
    assertThat(maxima).isNotEqualTo(descending);
  }

  @Test
  void packingIgnoresLengthGrouping() {
    int[] lengths = skewedLengths(300, 7);
    DataPlan a = DataPlan.of(lengths, 4, 512, true, true, 1, 1);
    DataPlan b = DataPlan.of(lengths, 4, 512, true, false, 1, 1);
    assertThat(a.size()).isEqualTo(b.size());
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.microBatch(i)).isDeepEqualTo(b.microBatch(i));
    }
  }
}
