package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Checks on the running CPU that the libtorch products decoding uses give a row the same bits whatever the number of
 * rows, the row's position and the other rows' values, for the weight matrices actually used. Which kernel libtorch
 * (MKL) runs depends on the instruction set and on the matrix sizes, so decoding relies on these checks:
 * <ul>
 *   <li>{@link #rowsFailure}: the product of {@code x [rows, 1, in]} with a weight {@code [in, out]} broadcast to
 *       {@code [rows, in, out]} (a batched product of one-row matrices; {@link LlamaModel.DecodeMode#ROWS}) for 1 to
 *       {@link #MAX_ROWS} rows. With libtorch 2.7.1 on x86-64 each row gets the bits of {@code mm} of that row alone
 *       for the model shapes (not for some tiny ones, such as 32 x 61).</li>
 *   <li>{@link #batchedFailure}: one GEMM ({@code linear(x, W)} or {@code mm(x, Wt)}) over {@link #MIN_ROWS} to
 *       {@link #MAX_ROWS} rows ({@link LlamaModel.DecodeMode#BATCHED}): one row takes a GEMV kernel, 2 and 3 rows
 *       another, 4 and more one GEMM kernel whose rows are invariant (tiny matrices such as 13x7 take a small-matrix
 *       path that is not).</li>
 * </ul>
 *
 * <p>Cost: for each distinct weight shape, one product of {@link #MAX_ROWS} rows and one per row count compared (the
 * model's own weights, random inputs); a fraction of a second for a 60M-parameter model.
 */
final class GemmRowCheck {

  /** Fewest rows a batched decode projection gets (smaller batches are padded with zero rows). */
  static final int MIN_ROWS = 4;
  /** Most rows one decode step computes at once (larger batches are decoded in groups of at most this many). */
  static final int MAX_ROWS = 32;
  /** Row counts compared against a product of {@link #MAX_ROWS} rows by {@link #batchedFailure}. */
  private static final int[] BATCHED_SUBSETS = {MIN_ROWS, 5, 7, 8, 13, 16, 17, 31};
  /** Row counts compared against a product of {@link #MAX_ROWS} rows by {@link #rowsFailure}. */
  private static final int[] ROWS_SUBSETS = {1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31};

  /** The kinds of product checked. */
  private enum Kind {
    LINEAR, MM, BROADCAST
  }

  private GemmRowCheck() {
  }

  /**
   * The first weight ({@code name [in, out]}) whose broadcast one-row products are not row-invariant, or null when
   * all are. {@code transposed}: weights {@code [in, out]}; the same shape is checked once.
   */
  static String rowsFailure(Collection<NDArray> transposed, NDManager parent) {
    return firstFailure(Collections.emptyList(), transposed, Kind.BROADCAST, ROWS_SUBSETS, parent);
  }

  /**
   * The first weight whose padded-GEMM rows are not invariant, or null when all are: {@code linear(x, W)} for each of
   * {@code linear} ({@code [out, in]}), {@code mm(x, Wt)} for each of {@code transposed} ({@code [in, out]}).
   */
  static String batchedFailure(Collection<NDArray> linear, Collection<NDArray> transposed, NDManager parent) {
    return firstFailure(linear, transposed, Kind.MM, BATCHED_SUBSETS, parent);
  }

  private static String firstFailure(Collection<NDArray> linear, Collection<NDArray> transposed, Kind kind,
      int[] subsets, NDManager parent) {
    Set<String> seen = new HashSet<>();
    Random rnd = new Random(20_261_128L);
    try (NDManager scratch = parent.newSubManager()) {
      for (NDArray w : linear) {
        if (seen.add(Kind.LINEAR + " " + w.getShape()) && !invariant(w, Kind.LINEAR, subsets, scratch, rnd)) {
          return (w.getName() == null ? "weight" : w.getName()) + " " + w.getShape();
        }
      }
      for (NDArray w : transposed) {
        if (seen.add(kind + " " + w.getShape()) && !invariant(w, kind, subsets, scratch, rnd)) {
          return (w.getName() == null ? "weight" : w.getName()) + " " + w.getShape();
        }
      }
    }
    return null;
  }

  private static boolean invariant(NDArray weight, Kind kind, int[] subsets, NDManager scratch, Random rnd) {
    boolean transposed = kind != Kind.LINEAR;
    int in = Math.toIntExact(weight.getShape().get(transposed ? 0 : 1));
    int out = Math.toIntExact(weight.getShape().get(transposed ? 1 : 0));
    float[] x = new float[MAX_ROWS * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    float[] all = product(scratch, x, MAX_ROWS, in, weight, kind);
    for (int rows : subsets) {
      // a random choice of rows, in random order, as its own freshly allocated matrix
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < MAX_ROWS; i++) {
        order.add(i);
      }
      Collections.shuffle(order, rnd);
      float[] sub = new float[rows * in];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(x, order.get(r) * in, sub, r * in, in);
      }
      float[] got = product(scratch, sub, rows, in, weight, kind);
      for (int r = 0; r < rows; r++) {
        int src = order.get(r) * out;
        if (!Arrays.equals(got, r * out, (r + 1) * out, all, src, src + out)) {
          return false;
        }
      }
    }
    return true;
  }

  private static float[] product(NDManager scratch, float[] x, int rows, int in, NDArray weight, Kind kind) {
    try (NDManager call = scratch.newSubManager()) {
      NDArray y;
      switch (kind) {
        case LINEAR:
          y = Linear.linear(call.create(x, new Shape(rows, in)), weight).singletonOrThrow();
          break;
        case MM:
          y = call.create(x, new Shape(rows, in)).matMul(weight);
          break;
        default:
          NDArray w = weight.broadcast(new Shape(rows, in, weight.getShape().get(1)));
          w.attach(call);
          y = call.create(x, new Shape(rows, 1, in)).batchMatMul(w);
      }
      y.attach(call);
      return y.toType(DataType.FLOAT32, false).toFloatArray();
    }
  }
}
