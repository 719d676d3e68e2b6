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
    DataPlan plan = DataPlan.of(lengths, 2, 8, true, 1, 2);
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
    DataPlan plan = DataPlan.of(new int[] {1, 2, 3, 4, 5}, 2, 8, false, 1, 1);
    assertThat(plan.size()).isEqualTo(3);
    assertThat(plan.microBatch(2)).hasDimensions(1, 1);
  }
}
