package dev.kamado.model.llama;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code -Pbench}: GMAC/s of the product kernel of {@link JavaDecoder} (one output row per pass over four weight rows)
 * against register-blocked variants that feed each weight element loaded into 2 or 4 output rows (the same arithmetic
 * order per row, so results are bitwise equal, which this checks), one on a flat output array, and a one-row kernel
 * over 8 input features, on the demo model's and the 58.5M model's shapes at 16 rows. It showed that Java 17's C2 does
 * not vectorise the multi-row loops (about 6 GMAC/s against 16-26 for the one-row loop), so JavaDecoder keeps the
 * one-row loop. Prints figures, asserts nothing about speed.
 */
class MultiRowKernelBench {

  static final int HEAD_BLOCK = JavaDecoder.HEAD_BLOCK;
  static void matmul4(float[][] wT, int in, int out, float[][] x, int rows, float[][] y) {
    for (int b = 0; b < rows; b++) Arrays.fill(y[b], 0, out, 0f);
    for (int j0 = 0; j0 < out; j0 += HEAD_BLOCK) {
      int j1 = Math.min(out, j0 + HEAD_BLOCK);
      for (int i = 0; i + 4 <= in; i += 4) {
        float[] w0 = wT[i], w1 = wT[i + 1], w2 = wT[i + 2], w3 = wT[i + 3];
        int b = 0;
        for (; b + 4 <= rows; b += 4) {
          float[] xa = x[b], xb = x[b+1], xc = x[b+2], xd = x[b+3];
          float[] ya = y[b], yb = y[b+1], yc = y[b+2], yd = y[b+3];
          float a0 = xa[i], a1 = xa[i+1], a2 = xa[i+2], a3 = xa[i+3];
          float b0 = xb[i], b1 = xb[i+1], b2 = xb[i+2], b3 = xb[i+3];
          float c0 = xc[i], c1 = xc[i+1], c2 = xc[i+2], c3 = xc[i+3];
          float d0 = xd[i], d1 = xd[i+1], d2 = xd[i+2], d3 = xd[i+3];
          for (int j = j0; j < j1; j++) {
            float v0 = w0[j], v1 = w1[j], v2 = w2[j], v3 = w3[j];
            ya[j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
            yb[j] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
            yc[j] += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
            yd[j] += d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3;
          }
        }
        for (; b < rows; b++) {
          float[] xb = x[b]; float[] yb = y[b];
          float x0 = xb[i], x1 = xb[i + 1], x2 = xb[i + 2], x3 = xb[i + 3];
          for (int j = j0; j < j1; j++) yb[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j] + x3 * w3[j];
        }
      }
    }
  }

  static void matmul2(float[][] wT, int in, int out, float[][] x, int rows, float[][] y) {
    for (int b = 0; b < rows; b++) Arrays.fill(y[b], 0, out, 0f);
    for (int j0 = 0; j0 < out; j0 += HEAD_BLOCK) {
      int j1 = Math.min(out, j0 + HEAD_BLOCK);
      for (int i = 0; i + 4 <= in; i += 4) {
        float[] w0 = wT[i], w1 = wT[i + 1], w2 = wT[i + 2], w3 = wT[i + 3];
        int b = 0;
        for (; b + 2 <= rows; b += 2) {
          float[] xa = x[b], xb = x[b+1];
          float[] ya = y[b], yb = y[b+1];
          float a0 = xa[i], a1 = xa[i+1], a2 = xa[i+2], a3 = xa[i+3];
          float b0 = xb[i], b1 = xb[i+1], b2 = xb[i+2], b3 = xb[i+3];
          for (int j = j0; j < j1; j++) {
            float v0 = w0[j], v1 = w1[j], v2 = w2[j], v3 = w3[j];
            ya[j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
            yb[j] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
          }
        }
        for (; b < rows; b++) {
          float[] xb = x[b]; float[] yb = y[b];
          float x0 = xb[i], x1 = xb[i + 1], x2 = xb[i + 2], x3 = xb[i + 3];
          for (int j = j0; j < j1; j++) yb[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j] + x3 * w3[j];
        }
      }
    }
  }
  // flat output: rows laid out in one array with stride out
  static void matmulFlat(float[][] wT, int in, int out, float[][] x, int rows, float[] y) {
    Arrays.fill(y, 0, rows * out, 0f);
    for (int i = 0; i + 4 <= in; i += 4) {
      float[] w0 = wT[i], w1 = wT[i + 1], w2 = wT[i + 2], w3 = wT[i + 3];
      int b = 0;
      for (; b + 4 <= rows; b += 4) {
        float[] xa = x[b], xb = x[b+1], xc = x[b+2], xd = x[b+3];
        float a0 = xa[i], a1 = xa[i+1], a2 = xa[i+2], a3 = xa[i+3];
        float b0 = xb[i], b1 = xb[i+1], b2 = xb[i+2], b3 = xb[i+3];
        float c0 = xc[i], c1 = xc[i+1], c2 = xc[i+2], c3 = xc[i+3];
        float d0 = xd[i], d1 = xd[i+1], d2 = xd[i+2], d3 = xd[i+3];
        int oa = b * out, ob = oa + out, oc = ob + out, od = oc + out;
        for (int j = 0; j < out; j++) {
          float v0 = w0[j], v1 = w1[j], v2 = w2[j], v3 = w3[j];
          y[oa + j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
          y[ob + j] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
          y[oc + j] += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
          y[od + j] += d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3;
        }
      }
    }
  }
  // 8 features per pass, single row (different but batch-independent order)
  static void matmul8(float[][] wT, int in, int out, float[][] x, int rows, float[][] y) {
    for (int b = 0; b < rows; b++) Arrays.fill(y[b], 0, out, 0f);
    for (int j0 = 0; j0 < out; j0 += HEAD_BLOCK) {
      int j1 = Math.min(out, j0 + HEAD_BLOCK);
      for (int i = 0; i + 8 <= in; i += 8) {
        float[] w0 = wT[i], w1 = wT[i + 1], w2 = wT[i + 2], w3 = wT[i + 3];
        float[] w4 = wT[i+4], w5 = wT[i + 5], w6 = wT[i + 6], w7 = wT[i + 7];
        for (int b = 0; b < rows; b++) {
          float[] xb = x[b]; float[] yb = y[b];
          float x0 = xb[i], x1 = xb[i + 1], x2 = xb[i + 2], x3 = xb[i + 3];
          float x4 = xb[i+4], x5 = xb[i + 5], x6 = xb[i + 6], x7 = xb[i + 7];
          for (int j = j0; j < j1; j++) yb[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j] + x3 * w3[j] + x4 * w4[j] + x5 * w5[j] + x6 * w6[j] + x7 * w7[j];
        }
      }
    }
  }
  // (changes arithmetic order -> not allowed unless used for all rows). skip
  @Test
  void kernels() {
    int[][] shapes = {{128, 256}, {128, 768}, {384, 128}, {128, 4096}, {512, 1536}, {1408, 512}};
    Random r = new Random(1);
    int rows = 16;
    for (int[] s : shapes) {
      int in = s[0];
      int out = s[1];
      float[][] w = new float[in][out];
      for (float[] q : w) {
        for (int j = 0; j < out; j++) {
          q[j] = r.nextFloat() - 0.5f;
        }
      }
      float[][] x = new float[rows][in];
      for (float[] q : x) {
        for (int j = 0; j < in; j++) {
          q[j] = r.nextFloat() - 0.5f;
        }
      }
      float[][] y1 = new float[rows][out];
      float[][] y2 = new float[rows][out];
      float[][] y3 = new float[rows][out];
      float[] yf = new float[rows * out];
      long macs = (long) in * out * rows;
      int reps = (int) Math.max(3, 2e8 / macs);
      double[] best = {1e18, 1e18, 1e18, 1e18, 1e18};
      for (int t = 0; t < 5; t++) {
        long t0 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          JavaDecoder.matmul(w, in, out, x, rows, y1, false);
        }
        long t1 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          matmul4(w, in, out, x, rows, y2);
        }
        long t2 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          matmul2(w, in, out, x, rows, y3);
        }
        long t3 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          matmulFlat(w, in, out, x, rows, yf);
        }
        long t4 = System.nanoTime();
        for (int k = 0; k < reps; k++) {
          matmul8(w, in, out, x, rows, new float[rows][out]);
        }
        long t5 = System.nanoTime();
        long[] ts = {t0, t1, t2, t3, t4, t5};
        for (int v = 0; v < 5; v++) {
          best[v] = Math.min(best[v], (ts[v + 1] - ts[v]) / (double) reps);
        }
      }
      for (int b = 0; b < rows; b++) {
        if (!Arrays.equals(y1[b], y2[b]) || !Arrays.equals(y1[b], y3[b])
            || !Arrays.equals(y1[b], Arrays.copyOfRange(yf, b * out, (b + 1) * out))) {
          throw new AssertionError("a blocked kernel differs from the one-row kernel in row " + b);
        }
      }
      System.out.printf("rows %d, %4d x %5d: one row %.2f, 4 rows %.2f, 2 rows %.2f, 4 rows flat %.2f, one row 8"
          + " features %.2f GMAC/s%n", rows, in, out, macs / best[0], macs / best[1], macs / best[2], macs / best[3],
          macs / best[4]);
    }
  }
}
