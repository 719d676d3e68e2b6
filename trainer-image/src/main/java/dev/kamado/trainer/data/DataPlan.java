package dev.kamado.trainer.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order in which the whole run sees the training examples: for each epoch a permutation that depends only on
 * (seed, epoch), cut into rows (one example per row, or packed: consecutive examples share a row while they fit in
 * the maximum length) and micro-batches of {@code batchSize} rows. Micro-batches of all epochs form one sequence;
 * the position in it is all a checkpoint needs to resume the data stream exactly.
 *
 * <p>Length grouping (one example per row only, as Hugging Face's {@code group_by_length}): a micro-batch is padded
 * to its longest row, so rows of similar length waste less. The epoch's permutation is cut into chunks of
 * {@value #GROUP_CHUNK_BATCHES} micro-batches (fewer when that would give less than 4 chunks, as Hugging Face does),
 * each chunk is sorted by length (longest first, ties by example index) and cut into micro-batches, then the
 * micro-batches of the epoch are shuffled with a generator of (seed, epoch), and the one holding the longest example
 * goes first (so a run that does not fit in memory fails at once). Every example still appears exactly once per
 * epoch, and the plan is still a pure function of (lengths, settings, seed, epoch).
 */
public final class DataPlan {
  /** Most micro-batches per chunk that length grouping sorts (Hugging Face's {@code mega_batch_mult}, 50 too). */
  public static final int GROUP_CHUNK_BATCHES = 50;

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
   * @param groupByLength without packing: micro-batches of examples of similar length (ignored with packing)
   * @param seed data-order seed
   * @param epochs passes
   */
  public static DataPlan of(int[] lengths, int batchSize, int maxLength, boolean packing, boolean groupByLength,
      long seed, int epochs) {
    List<int[][]> batches = new ArrayList<>();
    int[] starts = new int[epochs + 1];
    for (int epoch = 0; epoch < epochs; epoch++) {
      starts[epoch] = batches.size();
      int[] order = permutation(lengths.length, seed, epoch);
      if (packing) {
        cut(pack(order, lengths, maxLength), batchSize, batches);
      } else if (groupByLength) {
        batches.addAll(grouped(order, lengths, batchSize, seed, epoch));
      } else {
        cut(single(order), batchSize, batches);
      }
    }
    starts[epochs] = batches.size();
    return new DataPlan(batches, starts);
  }

  private static void cut(List<int[]> rows, int batchSize, List<int[][]> out) {
    for (int i = 0; i < rows.size(); i += batchSize) {
      out.add(rows.subList(i, Math.min(rows.size(), i + batchSize)).toArray(new int[0][]));
    }
  }

  /** One epoch of length-grouped micro-batches (one example per row), see the class comment. */
  static List<int[][]> grouped(int[] order, int[] lengths, int batchSize, long seed, int epoch) {
    int chunk = batchSize * Math.max(1, Math.min(GROUP_CHUNK_BATCHES, order.length / (batchSize * 4)));
    List<int[][]> batches = new ArrayList<>((order.length + batchSize - 1) / batchSize);
    Integer[] part = new Integer[Math.min(chunk, order.length)];
    for (int from = 0; from < order.length; from += chunk) {
      int to = Math.min(order.length, from + chunk);
      for (int i = from; i < to; i++) {
        part[i - from] = order[i];
      }
      Arrays.sort(part, 0, to - from, Comparator.<Integer>comparingInt(i -> -lengths[i])
          .thenComparingInt(Integer::intValue));
      for (int b = 0; b < to - from; b += batchSize) {
        int[][] rows = new int[Math.min(batchSize, to - from - b)][];
        for (int r = 0; r < rows.length; r++) {
          rows[r] = new int[] {part[b + r]};
        }
        batches.add(rows);
      }
    }
    SplittableRandom random = new SplittableRandom((seed ^ 0x6A09E667F3BCC908L) * 0x9E3779B97F4A7C15L + epoch);
    for (int i = batches.size() - 1; i > 0; i--) {
      Collections.swap(batches, i, random.nextInt(i + 1));
    }
    int longest = 0;
    for (int b = 1; b < batches.size(); b++) {
      if (lengths[batches.get(b)[0][0]] > lengths[batches.get(longest)[0][0]]) {
        longest = b;
      }
    }
    if (!batches.isEmpty()) {
      Collections.swap(batches, 0, longest);
    }
    return batches;
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

  /**
   * Token slots (rows times the longest row, as {@link Batch} pads them) per real token over the whole plan: 1.0
   * means no padding.
   *
   * @param lengths the lengths the plan was made for
   */
  public double paddingFactor(int[] lengths) {
    long slots = 0;
    long real = 0;
    for (int[][] rows : microBatches) {
      int width = 0;
      for (int[] row : rows) {
        int len = 0;
        for (int i : row) {
          len += lengths[i];
        }
        width = Math.max(width, len);
        real += len;
      }
      slots += (long) width * rows.length;
    }
    return real == 0 ? 1.0 : (double) slots / real;
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
