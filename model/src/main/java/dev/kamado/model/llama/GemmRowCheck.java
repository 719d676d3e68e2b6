package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Checks on the running CPU that libtorch's {@code linear} gives a row the same bits whatever the number of rows
 * (between {@link #MIN_ROWS} and {@link #MAX_ROWS}), the row's position and the other rows' values, for the weight
 * matrices actually used. Which GEMM kernel libtorch (MKL) runs depends on the instruction set and on the matrix sizes
 * (with libtorch 2.7.1 on x86-64: one row takes a GEMV kernel, 2 and 3 rows another, 4 and more one GEMM kernel whose
 * rows are invariant; tiny matrices such as 13x7 take a small-matrix path that is not), so batched decoding relies on
 * this check passing and falls back to one {@code linear} per row otherwise.
 *
 * <p>Cost: for each distinct weight shape, one {@code linear} of {@link #MAX_ROWS} rows and {@link #SUBSETS} smaller
 * ones (the model's own weights, random inputs); about 0.1 s for a 60M-parameter model.
 */
final class GemmRowCheck {

  /** Fewest rows a batched decode projection gets (smaller batches are padded with zero rows). */
  static final int MIN_ROWS = 4;
  /** Most rows one batched decode projection gets (larger batches are decoded in groups of at most this many). */
  static final int MAX_ROWS = 32;
  /** Row counts compared against a product of {@link #MAX_ROWS} rows. */
  private static final int[] SUBSETS = {MIN_ROWS, 5, 7, 8, 13, 16, 17, 31};

  private GemmRowCheck() {
  }

  /**
   * The first weight (as {@code name [out, in]}) whose padded-GEMM rows are not invariant, or null when all are.
   * Weights of the same shape are checked once.
   */
  static String firstFailure(Collection<NDArray> weights, NDManager parent) {
    Set<Shape> seen = new HashSet<>();
    Random rnd = new Random(20_261_128L);
    try (NDManager scratch = parent.newSubManager()) {
      for (NDArray w : weights) {
        if (!seen.add(w.getShape())) {
          continue;
        }
        if (!invariant(w, scratch, rnd)) {
          return (w.getName() == null ? "weight" : w.getName()) + " " + w.getShape();
        }
      }
    }
    return null;
  }

  private static boolean invariant(NDArray weight, NDManager scratch, Random rnd) {
    int in = Math.toIntExact(weight.getShape().get(1));
    int out = Math.toIntExact(weight.getShape().get(0));
    float[] x = new float[MAX_ROWS * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    float[] all = product(scratch, x, MAX_ROWS, in, weight);
    for (int rows : SUBSETS) {
      // a random choice of rows, in random order, as its own freshly allocated matrix
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < MAX_ROWS; i++) {
        order.add(i);
      }
      java.util.Collections.shuffle(order, rnd);
      float[] sub = new float[rows * in];
      for (int r = 0; r < rows; r++) {
        System.arraycopy(x, order.get(r) * in, sub, r * in, in);
      }
      float[] got = product(scratch, sub, rows, in, weight);
      for (int r = 0; r < rows; r++) {
        int src = order.get(r) * out;
        if (!Arrays.equals(got, r * out, (r + 1) * out, all, src, src + out)) {
          return false;
        }
      }
    }
    return true;
  }

  private static float[] product(NDManager scratch, float[] x, int rows, int in, NDArray weight) {
    NDArray input = scratch.create(x, new Shape(rows, in));
    NDArray y = Linear.linear(input, weight).singletonOrThrow();
    float[] out = y.toType(DataType.FLOAT32, false).toFloatArray();
    input.close();
    y.close();
    return out;
  }
}
