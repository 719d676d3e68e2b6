package dev.kamado.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernel against the kernel used without it: bitwise the same outputs for any shape (tiles cut short,
 * odd input counts), any number of rows (blocks of four and the rest), with and without accumulating, and a row gives
 * the same outputs alone as in a batch.
 */
class VectorKernelsTest {

  @Test
  void theVectorApiIsResolvedInTheseTests() {
    // the build runs tests with add-modules jdk.incubator.vector, as the images run the server
    assertThat(JavaDecoder.VECTOR).as(JavaDecoder.kernel()).isTrue();
  }

  @Test
  void vectorKernelGivesBitwiseTheScalarKernelsOutputs() {
    assumeTrue(JavaDecoder.VECTOR, "needs java --add-modules jdk.incubator.vector");
    Random random = new Random(11);
    int[][] shapes = {{128, 256}, {100, 200}, {7, 5}, {1, 33}, {384, 128}, {64, VectorKernels.TILE + 1}, {9, 4096}};
    for (int[] shape : shapes) {
      int in = shape[0];
      int out = shape[1];
      float[][] w = matrix(random, in, out);
      float[] packed = VectorKernels.pack(w, in, out);
      for (int rows : new int[] {1, 3, 4, 5, 9, 16}) {
        float[][] x = matrix(random, rows, in);
        for (boolean accumulate : new boolean[] {false, true}) {
          float[][] start = matrix(random, rows, out);
          float[][] scalar = copy(start);
          float[][] vector = copy(start);
          JavaDecoder.matmul(w, in, out, x, rows, scalar, accumulate);
          VectorKernels.matmul(packed, in, out, x, rows, vector, accumulate);
          for (int b = 0; b < rows; b++) {
            assertThat(vector[b]).as("in %d, out %d, rows %d, row %d, accumulate %s", in, out, rows, b, accumulate)
                .containsExactly(scalar[b]);
          }
          if (!accumulate) {
            // some columns of the last row only (their tiles, or the columns themselves without the Vector API)
            int[] ids = out > 3 ? new int[] {0, out / 2, out - 1} : new int[] {out - 1};
            float[] tiles = new float[out];
            float[] columns = new float[out];
            VectorKernels.matmulTiles(packed, in, out, x[rows - 1], tiles, ids, ids.length);
            JavaDecoder.matmulColumns(w, in, x[rows - 1], columns, ids, ids.length);
            for (int id : ids) {
              assertThat(tiles[id]).as("tile column %d, in %d, out %d", id, in, out).isEqualTo(vector[rows - 1][id]);
              assertThat(columns[id]).as("scalar column %d, in %d, out %d", id, in, out)
                  .isEqualTo(vector[rows - 1][id]);
            }
            for (int j = 0; j < out; j++) {
              if (tiles[j] != 0f) {
                assertThat(tiles[j]).as("column %d written with its tile", j).isEqualTo(vector[rows - 1][j]);
              }
            }
          }
          // the last row alone: the same bits as in the batch (it ran through the four-row block or the rest)
          float[][] alone = {start[rows - 1].clone()};
          VectorKernels.matmul(packed, in, out, new float[][] {x[rows - 1]}, 1, alone, accumulate);
          assertThat(alone[0]).containsExactly(vector[rows - 1]);
        }
      }
    }
  }

  @Test
  void vectorAttentionGivesBitwiseTheScalarAttention() {
    assumeTrue(JavaDecoder.VECTOR, "needs java --add-modules jdk.incubator.vector");
    Random random = new Random(3);
    int lanes = VectorKernels.LANES;
    int kvHeads = 2;
    for (int dim : new int[] {lanes, 2 * lanes, 3 * lanes, 4 * lanes}) {
      for (int length : new int[] {1, 5, lanes, lanes + 3, 2 * lanes + 1, 3 * lanes + 5, 4 * lanes, 4 * lanes + 7,
          100, 150}) {
        // key rows and score buffers with room for whole vectors past the positions (as the cache and the decoder
        // have), and without it (the positions past the last whole vector then go one at a time)
        for (boolean room : new boolean[] {true, false}) {
          int width = room ? length + KvCache.KEY_PAD : length;
          float[][] keys = matrix(random, dim, width);
          float[][] values = matrix(random, length * kvHeads, dim);
          float[] q = matrix(random, 1, 3 * dim)[0];
          String what = String.format("dim %d, %d positions, room past them %s", dim, length, room);
          float[] scalar = new float[width];
          float[] vector = new float[width];
          JavaDecoder.scores(q, dim, keys, dim, length, scalar);
          VectorKernels.scores(q, dim, keys, dim, length, vector);
          assertThat(java.util.Arrays.copyOf(vector, length)).as("scores, %s", what)
              .containsExactly(java.util.Arrays.copyOf(scalar, length));

          float max = Float.NEGATIVE_INFINITY;
          for (int t = 0; t < length; t++) {
            scalar[t] *= 0.125f;
            max = Math.max(max, scalar[t]);
          }
          assertThat(VectorKernels.scale(vector, length, 0.125f)).as("largest scaled score, %s", what).isEqualTo(max);
          assertThat(java.util.Arrays.copyOf(vector, length)).as("scaled scores, %s", what)
              .containsExactly(java.util.Arrays.copyOf(scalar, length));

          // two query heads sharing key-value head 1, and one alone
          float[] p2 = matrix(random, 1, width)[0];
          float[] outScalar = new float[3 * dim];
          float[] outVector = new float[3 * dim];
          float[] outAlone = new float[3 * dim];
          JavaDecoder.weightedValues(scalar, values, kvHeads, 1, length, dim, new float[dim], outScalar, dim);
          JavaDecoder.weightedValues(p2, values, kvHeads, 1, length, dim, new float[dim], outScalar, 2 * dim);
          VectorKernels.weightedValues(scalar, p2, values, kvHeads, 1, length, dim, outVector, dim, 2 * dim);
          VectorKernels.weightedValues(scalar, null, values, kvHeads, 1, length, dim, outAlone, dim, 2 * dim);
          assertThat(outVector).as("weighted values of a pair of heads, %s", what).containsExactly(outScalar);
          assertThat(java.util.Arrays.copyOfRange(outAlone, dim, 2 * dim)).as("weighted values of one head, %s", what)
              .containsExactly(java.util.Arrays.copyOfRange(outScalar, dim, 2 * dim));
          assertThat(outAlone[2 * dim]).as("one head writes only its own output").isZero();
          double expected = 0;
          for (int t = 0; t < length; t++) {
            expected += (double) p2[t] * values[t * kvHeads + 1][dim - 1];
          }
          assertThat((double) outScalar[3 * dim - 1]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-3));
        }
      }
    }
  }

  @Test
  void expIsWithinTwoUlpOfMathExpAndTheVectorFormGivesTheSameBits() {
    Random random = new Random(9);
    float[] xs = new float[20_000];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = i < 16 ? new float[] {0f, -0f, 1f, -1f, 88f, 88.5f, -87.3f, -87.4f, -100f, 100f, Float.NaN,
          Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 1e-8f, -1e-8f, 0.34657359f}[i]
          : (float) (random.nextDouble() * 180 - 90);
    }
    float[] scalar = new float[xs.length];
    for (int i = 0; i < xs.length; i++) {
      float x = xs[i];
      float e = Exp.exp(x);
      scalar[i] = e;
      if (Float.isNaN(x)) {
        assertThat(e).isNaN();
      } else if (x < Exp.EXP_MIN) {
        assertThat(e).as("exp(%s)", x).isZero();
      } else if (x > Exp.EXP_MAX) {
        assertThat(e).as("exp(%s)", x).isEqualTo(Float.POSITIVE_INFINITY);
      } else {
        float expected = (float) Math.exp(x);
        assertThat(Math.abs(e - expected)).as("exp(%s) = %s, Math.exp %s", x, e, expected)
            .isLessThanOrEqualTo(2 * Math.ulp(expected));
      }
    }
    assumeTrue(JavaDecoder.VECTOR, "needs java --add-modules jdk.incubator.vector");
    float[] vector = xs.clone();
    VectorKernels.expShifted(vector, vector.length, 0f);
    assertThat(vector).containsExactly(scalar);
  }

  @Test
  void vectorSwiGluAndSoftmaxGiveTheScalarBits() {
    assumeTrue(JavaDecoder.VECTOR, "needs java --add-modules jdk.incubator.vector");
    Random random = new Random(4);
    for (int n : new int[] {1, 7, VectorKernels.LANES, 384, 389}) {
      float[] gu = matrix(random, 1, 2 * n)[0];
      for (int j = 0; j < n; j += 5) {
        gu[j] *= 40; // large gates: exp(-g) near 0 and beyond EXP_MAX
      }
      float[] scalar = new float[n];
      float[] vector = new float[n];
      JavaDecoder.swiGlu(gu, n, scalar);
      VectorKernels.swiGlu(gu, n, vector);
      assertThat(vector).as("SwiGLU of %d", n).containsExactly(scalar);
      for (int j = 0; j < n; j++) {
        double g = gu[j];
        double expected = g / (1 + Math.exp(-g)) * gu[n + j];
        assertThat((double) scalar[j]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5 * (1
            + Math.abs(expected))));
      }
      float[] s = matrix(random, 1, n)[0];
      float[] t = s.clone();
      for (int j = 0; j < n; j++) {
        t[j] = Exp.exp(t[j] - 2f) / 3f;
      }
      VectorKernels.expShifted(s, n, 2f);
      VectorKernels.divide(s, n, 3f);
      assertThat(s).containsExactly(t);
    }
  }

  @Test
  void scalarKernelComputesTheProduct() {
    Random random = new Random(5);
    int in = 37;
    int out = 53;
    float[][] w = matrix(random, in, out);
    float[][] x = matrix(random, 3, in);
    float[][] y = new float[3][out];
    JavaDecoder.matmul(w, in, out, x, 3, y, false);
    for (int b = 0; b < 3; b++) {
      for (int j = 0; j < out; j++) {
        double expected = 0;
        for (int i = 0; i < in; i++) {
          expected += (double) x[b][i] * w[i][j];
        }
        assertThat((double) y[b][j]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  private static float[][] matrix(Random random, int rows, int cols) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    return m;
  }

  private static float[][] copy(float[][] m) {
    float[][] c = new float[m.length][];
    for (int i = 0; i < m.length; i++) {
      c[i] = m[i].clone();
    }
    return c;
  }
}
