package dev.kamado.trainer.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order in which the whole run sees the training examples: for each epoch a permutation that depends only on
 * (seed, epoch), cut into rows (one example per row, or packed: consecutive examples share a row while they fit in
 * the maximum length) and micro-batches of {@code batchSize} rows. Micro-batches of all epochs form one sequence;
 * the position in it is all a checkpoint needs to resume the data stream exactly.
 */
public final class DataPlan {
  private final List<int[][]> microBatches;
  private final int[] epochStart;

  private DataPlan(List<int[][]> microBatches, int[] epochStart) {
    this.microBatches = microBatches;
    this.epochStart = epochStart;
  }

  /**
   * Plans {@code epochs} passes over examples of the given lengths.
   *
   * @param lengths token count of each example
   * @param batchSize rows per micro-batch
   * @param maxLength longest row (used for packing)
   * @param packing several examples per row
   * @param seed data-order seed
   * @param epochs passes
   */
  public static DataPlan of(int[] lengths, int batchSize, int maxLength, boolean packing, long seed, int epochs) {
    List<int[][]> batches = new ArrayList<>();
    int[] starts = new int[epochs + 1];
    for (int epoch = 0; epoch < epochs; epoch++) {
      starts[epoch] = batches.size();
      int[] order = permutation(lengths.length, seed, epoch);
      List<int[]> rows = packing ? pack(order, lengths, maxLength) : single(order);
      for (int i = 0; i < rows.size(); i += batchSize) {
        batches.add(rows.subList(i, Math.min(rows.size(), i + batchSize)).toArray(new int[0][]));
      }
    }
    starts[epochs] = batches.size();
    return new DataPlan(batches, starts);
  }

  /** A permutation of {@code 0..n-1} that depends only on (seed, epoch): Fisher-Yates with a SplittableRandom. */
  public static int[] permutation(int n, long seed, int epoch) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Next-fit packing in the given order: a row takes examples while their total length stays within the maximum. */
  static List<int[]> pack(int[] order, int[] lengths, int maxLength) {
    List<int[]> rows = new ArrayList<>();
    List<Integer> row = new ArrayList<>();
    int used = 0;
    for (int i : order) {
      if (!row.isEmpty() && used + lengths[i] > maxLength) {
        rows.add(row.stream().mapToInt(Integer::intValue).toArray());
        row.clear();
        used = 0;
      }
      row.add(i);
      used += lengths[i];
    }
    if (!row.isEmpty()) {
      rows.add(row.stream().mapToInt(Integer::intValue).toArray());
    }
    return rows;
  }

  private static List<int[]> single(int[] order) {
    List<int[]> rows = new ArrayList<>(order.length);
    for (int i : order) {
      rows.add(new int[] {i});
    }
    return rows;
  }

  /** Micro-batches in the whole run. */
  public int size() {
    return microBatches.size();
  }

  /** The rows of micro-batch {@code index} (indices into the example list). */
  public int[][] microBatch(int index) {
    return microBatches.get(index);
  }

  /** Micro-batches in one epoch (the first when epochs differ under packing). */
  public int perEpoch() {
    return epochStart[1] - epochStart[0];
  }

  /** The fractional epoch after {@code consumed} micro-batches. */
  public double epochAt(long consumed) {
    for (int e = 0; e < epochStart.length - 1; e++) {
      if (consumed < epochStart[e + 1]) {
        int len = epochStart[e + 1] - epochStart[e];
        return e + (len == 0 ? 0 : (double) (consumed - epochStart[e]) / len);
      }
    }
    return epochStart.length - 1;
  }
}
