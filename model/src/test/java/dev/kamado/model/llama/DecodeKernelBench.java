package dev.kamado.model.llama;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code -Pbench}: the decode kernels of {@link JavaDecoder} in the same run: GMAC/s of the product without the Vector
 * API ({@link JavaDecoder#matmul}, the baseline: one output row per pass over four weight rows, which C2 vectorises)
 * and with it ({@link VectorKernels#matmul}: packed column tiles, four rows per pass), at 1, 4 and 16 rows on the demo
 * model's and the 58.5M model's shapes; then nanoseconds per exp for {@link Math#exp}, {@link Exp#exp} and
 * {@link VectorKernels#exp}. Fails if the two products differ in any bit; prints figures and ratios, asserts nothing
 * about speed. Needs the build's {@code --add-modules jdk.incubator.vector} for the vector rows.
 */
class DecodeKernelBench {

  private static final int[][] SHAPES = {
      {128, 256}, {128, 128}, {128, 768}, {384, 128}, {128, 4096}, // demo: qkv, o, gate+up, down, head
      {512, 1536}, {512, 512}, {512, 2816}, {1408, 512}, {512, 32000}}; // 58.5M
  private static final int[] ROWS = {1, 4, 16};

  @Test
  void kernels() {
    System.out.println("== decode kernels: " + JavaDecoder.kernel());
    if (!JavaDecoder.VECTOR) {
      System.out.println("no Vector API in this JVM: run through the build (add-modules jdk.incubator.vector)");
      return;
    }
    Random random = new Random(1);
    System.out.println("   in x   out  rows   scalar GMAC/s   vector GMAC/s   vector / scalar");
    for (int[] shape : SHAPES) {
      int in = shape[0];
      int out = shape[1];
      float[][] w = fill(random, in, out);
      float[] packed = VectorKernels.pack(w, in, out);
      for (int rows : ROWS) {
        float[][] x = fill(random, rows, in);
        float[][] scalar = new float[rows][out];
        float[][] vector = new float[rows][out];
        long macs = (long) in * out * rows;
        int reps = (int) Math.max(3, 1e8 / macs);
        double bestScalar = Double.MAX_VALUE;
        double bestVector = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
          long t0 = System.nanoTime();
          for (int k = 0; k < reps; k++) {
            JavaDecoder.matmul(w, in, out, x, rows, scalar, false);
          }
          long t1 = System.nanoTime();
          for (int k = 0; k < reps; k++) {
            VectorKernels.matmul(packed, in, out, x, rows, vector, false);
          }
          long t2 = System.nanoTime();
          bestScalar = Math.min(bestScalar, (t1 - t0) / (double) reps);
          bestVector = Math.min(bestVector, (t2 - t1) / (double) reps);
        }
        for (int b = 0; b < rows; b++) {
          if (!Arrays.equals(scalar[b], vector[b])) {
            throw new AssertionError("the vector product differs from the scalar one: " + in + " x " + out + ", row "
                + b);
          }
        }
        System.out.printf("%5d x %5d  %4d   %13.1f   %13.1f   %.2fx%n", in, out, rows, macs / bestScalar,
            macs / bestVector, bestScalar / bestVector);
      }
    }
    float[] xs = new float[4096];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) (-20 * random.nextDouble());
    }
    float[] ys = new float[xs.length];
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    float sink = 0;
    for (int round = 0; round < 20; round++) {
      long t0 = System.nanoTime();
      for (int k = 0; k < 50; k++) {
        for (int i = 0; i < xs.length; i++) {
          ys[i] = (float) Math.exp(xs[i]);
        }
        sink += ys[k];
      }
      long t1 = System.nanoTime();
      for (int k = 0; k < 50; k++) {
        for (int i = 0; i < xs.length; i++) {
          ys[i] = Exp.exp(xs[i]);
        }
        sink += ys[k];
      }
      long t2 = System.nanoTime();
      for (int k = 0; k < 50; k++) {
        System.arraycopy(xs, 0, ys, 0, xs.length);
        VectorKernels.expShifted(ys, ys.length, 0f);
        sink += ys[k];
      }
      long t3 = System.nanoTime();
      long[] ts = {t0, t1, t2, t3};
      for (int v = 0; v < 3; v++) {
        best[v] = Math.min(best[v], (ts[v + 1] - ts[v]) / (50.0 * xs.length));
      }
    }
    System.out.printf("exp, ns per value: Math.exp %.2f, Exp.exp %.2f, VectorKernels.exp %.2f (%.1fx"
        + " Math.exp) [%s]%n", best[0], best[1], best[2], best[0] / best[2], sink > 0 ? "ok" : "-");
  }

  private static float[][] fill(Random random, int rows, int cols) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = random.nextFloat() - 0.5f;
      }
    }
    return m;
  }
}
