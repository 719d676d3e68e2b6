package dev.kamado.model.llama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels of {@link JavaDecoder} on the Vector API (products, attention, exp) ({@code jdk.incubator.vector}, resolved only when the JVM
 * runs with {@code --add-modules jdk.incubator.vector}; {@link JavaDecoder#VECTOR} says whether it is, and nothing
 * loads this class otherwise).
 *
 * <p>A weight is packed in column tiles of {@link #TILE} outputs (two vectors of the preferred species): tile {@code t}
 * holds, for every input feature {@code i} in order, the {@code TILE} weights {@code wT[i][t*TILE ..]}, zeros past the
 * last output. One pass over a tile reads it as one sequential stream and keeps the outputs of four sequences (eight
 * vectors) in registers, so each weight loaded feeds four sequences; that is what makes a batch of sequences cheaper
 * per sequence than one alone. Remaining sequences run through the tile one at a time.
 *
 * <p>Every output is {@code acc = fma(x[i], w[i][j], acc)} for {@code i} from 0 up, starting from 0 (or from the output
 * when accumulating), the same order as {@link JavaDecoder#matmul} uses without the Vector API, so the results are
 * bitwise the same with or without it, for any batch, species and tile.
 */
final class VectorKernels {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector of the preferred species (16 with AVX-512, 8 with AVX2). */
  static final int LANES = SPECIES.length();
  /** Output columns per packed tile. */
  static final int TILE = 2 * LANES;

  private VectorKernels() {
  }

  /** The packed form of {@code wT} ([in][out]): tile after tile, each {@code in} rows of {@link #TILE} floats. */
  static float[] pack(float[][] wT, int in, int out) {
    int tiles = (out + TILE - 1) / TILE;
    float[] packed = new float[Math.multiplyExact(tiles * TILE, in)];
    for (int t = 0; t < tiles; t++) {
      int j = t * TILE;
      int width = Math.min(TILE, out - j);
      for (int i = 0; i < in; i++) {
        System.arraycopy(wT[i], j, packed, (t * in + i) * TILE, width);
      }
    }
    return packed;
  }

  /**
   * {@code y[b][j] (+)= sum_i x[b][i] * w[i][j]} for b below rows and j below out, on a weight packed by
   * {@link #pack}.
   */
  static void matmul(float[] packed, int in, int out, float[][] x, int rows, float[][] y, boolean accumulate) {
    int tiles = (out + TILE - 1) / TILE;
    float[] edge = out % TILE == 0 ? null : new float[TILE];
    for (int t = 0; t < tiles; t++) {
      int base = t * in * TILE;
      int j = t * TILE;
      int b = 0;
      for (; b + 4 <= rows; b += 4) {
        float[] x0 = x[b];
        float[] x1 = x[b + 1];
        float[] x2 = x[b + 2];
        float[] x3 = x[b + 3];
        FloatVector a00 = start(y[b], j, out, 0, accumulate, edge);
        FloatVector a01 = start(y[b], j, out, LANES, accumulate, edge);
        FloatVector a10 = start(y[b + 1], j, out, 0, accumulate, edge);
        FloatVector a11 = start(y[b + 1], j, out, LANES, accumulate, edge);
        FloatVector a20 = start(y[b + 2], j, out, 0, accumulate, edge);
        FloatVector a21 = start(y[b + 2], j, out, LANES, accumulate, edge);
        FloatVector a30 = start(y[b + 3], j, out, 0, accumulate, edge);
        FloatVector a31 = start(y[b + 3], j, out, LANES, accumulate, edge);
        for (int i = 0, o = base; i < in; i++, o += TILE) {
          FloatVector w0 = FloatVector.fromArray(SPECIES, packed, o);
          FloatVector w1 = FloatVector.fromArray(SPECIES, packed, o + LANES);
          FloatVector v = FloatVector.broadcast(SPECIES, x0[i]);
          a00 = w0.fma(v, a00);
          a01 = w1.fma(v, a01);
          v = FloatVector.broadcast(SPECIES, x1[i]);
          a10 = w0.fma(v, a10);
          a11 = w1.fma(v, a11);
          v = FloatVector.broadcast(SPECIES, x2[i]);
          a20 = w0.fma(v, a20);
          a21 = w1.fma(v, a21);
          v = FloatVector.broadcast(SPECIES, x3[i]);
          a30 = w0.fma(v, a30);
          a31 = w1.fma(v, a31);
        }
        store(a00, a01, y[b], j, out, edge);
        store(a10, a11, y[b + 1], j, out, edge);
        store(a20, a21, y[b + 2], j, out, edge);
        store(a30, a31, y[b + 3], j, out, edge);
      }
      for (; b < rows; b++) {
        tileOneRow(packed, t, in, out, x[b], y[b], accumulate, edge);
      }
    }
  }

  /**
   * Only the tiles of {@code y = x w} (one row, on a weight packed by {@link #pack}) that hold one of {@code ids}
   * (ascending, below out): each such tile's columns below out are written, with the bits {@link #matmul} gives them
   * (a tile's one-row pass, the same operations in the same order); the other columns are left as they are.
   */
  static void matmulTiles(float[] packed, int in, int out, float[] x, float[] y, int[] ids, int count) {
    float[] edge = out % TILE == 0 ? null : new float[TILE];
    int done = -1;
    for (int k = 0; k < count; k++) {
      int t = ids[k] / TILE;
      if (t != done) {
        tileOneRow(packed, t, in, out, x, y, false, edge);
        done = t;
      }
    }
  }

  /** Tile {@code t} of one row's product: columns {@code t*TILE ..} (below out) of {@code y (+)= x w}. */
  private static void tileOneRow(float[] packed, int t, int in, int out, float[] x, float[] y, boolean accumulate,
      float[] edge) {
    int j = t * TILE;
    FloatVector a0 = start(y, j, out, 0, accumulate, edge);
    FloatVector a1 = start(y, j, out, LANES, accumulate, edge);
    for (int i = 0, o = t * in * TILE; i < in; i++, o += TILE) {
      FloatVector v = FloatVector.broadcast(SPECIES, x[i]);
      a0 = FloatVector.fromArray(SPECIES, packed, o).fma(v, a0);
      a1 = FloatVector.fromArray(SPECIES, packed, o + LANES).fma(v, a1);
    }
    store(a0, a1, y, j, out, edge);
  }

  /**
   * Attention scores of one query head over positions {@code 0..length-1}: {@code s[t] = fma(q[d], k[d][t], s[t])} for
   * d from 0 up, starting from 0 (as {@link JavaDecoder#scores}), a vector of positions at a time with its sum in a
   * register across the head dimensions, up to four vectors of positions side by side (independent sums, so the
   * multiply-adds overlap instead of waiting on each other). When the key rows and {@code s} hold {@link #padded
   * whole vectors} past {@code length}, the last partial vector is computed whole too (lanes past {@code length} are
   * written to {@code s} and mean nothing); otherwise the positions past the last whole vector go one at a time.
   */
  static void scores(float[] q, int qOff, float[][] keys, int dim, int length, float[] s) {
    int whole = keys[0].length >= padded(length) && s.length >= padded(length) ? padded(length)
        : length - length % LANES;
    int t = 0;
    for (; t + 4 * LANES <= whole; t += 4 * LANES) {
      FloatVector a0 = FloatVector.zero(SPECIES);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int d = 0; d < dim; d++) {
        float[] k = keys[d];
        FloatVector v = FloatVector.broadcast(SPECIES, q[qOff + d]);
        a0 = FloatVector.fromArray(SPECIES, k, t).fma(v, a0);
        a1 = FloatVector.fromArray(SPECIES, k, t + LANES).fma(v, a1);
        a2 = FloatVector.fromArray(SPECIES, k, t + 2 * LANES).fma(v, a2);
        a3 = FloatVector.fromArray(SPECIES, k, t + 3 * LANES).fma(v, a3);
      }
      a0.intoArray(s, t);
      a1.intoArray(s, t + LANES);
      a2.intoArray(s, t + 2 * LANES);
      a3.intoArray(s, t + 3 * LANES);
    }
    for (; t + 2 * LANES <= whole; t += 2 * LANES) {
      FloatVector a0 = FloatVector.zero(SPECIES);
      FloatVector a1 = a0;
      for (int d = 0; d < dim; d++) {
        float[] k = keys[d];
        FloatVector v = FloatVector.broadcast(SPECIES, q[qOff + d]);
        a0 = FloatVector.fromArray(SPECIES, k, t).fma(v, a0);
        a1 = FloatVector.fromArray(SPECIES, k, t + LANES).fma(v, a1);
      }
      a0.intoArray(s, t);
      a1.intoArray(s, t + LANES);
    }
    for (; t + LANES <= whole; t += LANES) {
      FloatVector acc = FloatVector.zero(SPECIES);
      for (int d = 0; d < dim; d++) {
        acc = FloatVector.fromArray(SPECIES, keys[d], t).fma(FloatVector.broadcast(SPECIES, q[qOff + d]), acc);
      }
      acc.intoArray(s, t);
    }
    for (; t < length; t++) {
      float acc = 0f;
      for (int d = 0; d < dim; d++) {
        acc = Math.fma(q[qOff + d], keys[d][t], acc);
      }
      s[t] = acc;
    }
  }

  /** {@code length} rounded up to whole vectors: what {@link #scores} may write to {@code s} and read from keys. */
  static int padded(int length) {
    return (length + LANES - 1) / LANES * LANES;
  }

  /**
   * {@code s[t] = s[t] * scale} for t below length; returns the largest of them (as {@code Math.max} over the positions:
   * the maximum does not depend on the order).
   */
  static float scale(float[] s, int length, float scale) {
    FloatVector max = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    int t = 0;
    for (; t + LANES <= length; t += LANES) {
      FloatVector v = FloatVector.fromArray(SPECIES, s, t).mul(scale);
      v.intoArray(s, t);
      max = max.max(v);
    }
    float m = max.reduceLanes(VectorOperators.MAX);
    for (; t < length; t++) {
      float score = s[t] * scale;
      s[t] = score;
      m = Math.max(m, score);
    }
    return m;
  }

  /**
   * The values weighted by {@code p[t]}, in position order: {@code out[off + i] = fma(p[t], v_t[i], ...)} for t from 0
   * up, starting from 0, where {@code v_t = values[t * stride + head]} (as {@link JavaDecoder#weightedValues}), with
   * the sums in registers across the positions. Two query heads that share the key-value head ({@code pb} weighting
   * into {@code out[offB ..]}; null for one head) and two vectors of dimensions run side by side, so each value vector
   * is read once for both and up to four independent sums overlap. Needs {@code dim} a multiple of {@link #LANES};
   * see {@link #fitsValues}.
   */
  static void weightedValues(float[] pa, float[] pb, float[][] values, int stride, int head, int length, int dim,
      float[] out, int offA, int offB) {
    int i = 0;
    for (; i + 2 * LANES <= dim; i += 2 * LANES) {
      FloatVector a0 = FloatVector.zero(SPECIES);
      FloatVector a1 = a0;
      if (pb == null) {
        for (int t = 0, v = head; t < length; t++, v += stride) {
          float[] vt = values[v];
          FloatVector p = FloatVector.broadcast(SPECIES, pa[t]);
          a0 = FloatVector.fromArray(SPECIES, vt, i).fma(p, a0);
          a1 = FloatVector.fromArray(SPECIES, vt, i + LANES).fma(p, a1);
        }
      } else {
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int t = 0, v = head; t < length; t++, v += stride) {
          float[] vt = values[v];
          FloatVector v0 = FloatVector.fromArray(SPECIES, vt, i);
          FloatVector v1 = FloatVector.fromArray(SPECIES, vt, i + LANES);
          FloatVector p = FloatVector.broadcast(SPECIES, pa[t]);
          a0 = v0.fma(p, a0);
          a1 = v1.fma(p, a1);
          p = FloatVector.broadcast(SPECIES, pb[t]);
          b0 = v0.fma(p, b0);
          b1 = v1.fma(p, b1);
        }
        b0.intoArray(out, offB + i);
        b1.intoArray(out, offB + i + LANES);
      }
      a0.intoArray(out, offA + i);
      a1.intoArray(out, offA + i + LANES);
    }
    if (i < dim) { // one vector of dimensions left
      FloatVector a0 = FloatVector.zero(SPECIES);
      FloatVector b0 = a0;
      for (int t = 0, v = head; t < length; t++, v += stride) {
        FloatVector v0 = FloatVector.fromArray(SPECIES, values[v], i);
        a0 = v0.fma(FloatVector.broadcast(SPECIES, pa[t]), a0);
        if (pb != null) {
          b0 = v0.fma(FloatVector.broadcast(SPECIES, pb[t]), b0);
        }
      }
      a0.intoArray(out, offA + i);
      if (pb != null) {
        b0.intoArray(out, offB + i);
      }
    }
  }

  /**
   * {@code s[t] = exp(s[t] - max)} for t below length ({@link Exp#exp}, lane by lane, so bitwise the same); lanes up to
   * {@link #padded} too when {@code s} holds them.
   */
  static void expShifted(float[] s, int length, float max) {
    int whole = s.length >= padded(length) ? padded(length) : length - length % LANES;
    int t = 0;
    for (; t + LANES <= whole; t += LANES) {
      exp(FloatVector.fromArray(SPECIES, s, t).sub(max)).intoArray(s, t);
    }
    for (; t < length; t++) {
      s[t] = Exp.exp(s[t] - max);
    }
  }

  /** {@code out[i] = exp((x[i] - shift) * scale)} for i below n ({@link Exp#expScaled}). */
  static void expScaled(float[] x, int n, float shift, float scale, float[] out) {
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
      exp(FloatVector.fromArray(SPECIES, x, i).sub(shift).mul(scale)).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = Exp.exp((x[i] - shift) * scale);
    }
  }

  /** {@code s[t] = s[t] / sum} for t below length (lanes up to {@link #padded} too when {@code s} holds them). */
  static void divide(float[] s, int length, float sum) {
    int whole = s.length >= padded(length) ? padded(length) : length - length % LANES;
    int t = 0;
    for (; t + LANES <= whole; t += LANES) {
      FloatVector.fromArray(SPECIES, s, t).div(sum).intoArray(s, t);
    }
    for (; t < length; t++) {
      s[t] = s[t] / sum;
    }
  }

  /**
   * SwiGLU: {@code a[j] = g / (1 + exp(-g)) * u} with {@code g = gu[j]}, {@code u = gu[n + j]}, for j below n (as
   * {@link JavaDecoder#swiGlu}).
   */
  static void swiGlu(float[] gu, int n, float[] a) {
    int j = 0;
    for (; j + LANES <= n; j += LANES) {
      FloatVector g = FloatVector.fromArray(SPECIES, gu, j);
      FloatVector e = exp(g.neg());
      g.div(e.add(1f)).mul(FloatVector.fromArray(SPECIES, gu, n + j)).intoArray(a, j);
    }
    for (; j < n; j++) {
      float g = gu[j];
      a[j] = g / (Exp.exp(-g) + 1f) * gu[n + j];
    }
  }

  /** {@link Exp#exp} lane by lane, with the same operations in the same order. */
  static FloatVector exp(FloatVector x) {
    FloatVector t = x.fma(Exp.EXP_LOG2E, Exp.EXP_ROUND);
    FloatVector k = t.sub(Exp.EXP_ROUND);
    FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -Exp.EXP_LN2_HI), x);
    r = k.fma(FloatVector.broadcast(SPECIES, -Exp.EXP_LN2_LO), r);
    float[] c = Exp.EXP_TAYLOR;
    FloatVector p = FloatVector.broadcast(SPECIES, c[0]);
    for (int i = 1; i < c.length; i++) {
      p = p.fma(r, FloatVector.broadcast(SPECIES, c[i]));
    }
    IntVector scale = ((IntVector) t.reinterpretAsInts()).sub(Float.floatToRawIntBits(Exp.EXP_ROUND)).add(127)
        .lanewise(VectorOperators.LSHL, 23);
    FloatVector y = p.mul(scale.reinterpretAsFloats());
    y = y.blend(0f, x.compare(VectorOperators.LT, Exp.EXP_MIN));
    return y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, Exp.EXP_MAX));
  }

  /** Whether {@link #weightedValues} takes heads of {@code dim} dimensions. */
  static boolean fitsValues(int dim) {
    return dim % LANES == 0;
  }

  /** The starting accumulator for lanes {@code j + half ..} of row y: zeros, or y's values (zeros past out). */
  private static FloatVector start(float[] y, int j, int out, int half, boolean accumulate, float[] edge) {
    if (!accumulate) {
      return FloatVector.zero(SPECIES);
    }
    if (j + TILE <= out) {
      return FloatVector.fromArray(SPECIES, y, j + half);
    }
    java.util.Arrays.fill(edge, 0f);
    System.arraycopy(y, j, edge, 0, out - j);
    return FloatVector.fromArray(SPECIES, edge, half);
  }

  /** Writes a tile's two accumulators to {@code y[j ..]}, only the columns below out. */
  private static void store(FloatVector lo, FloatVector hi, float[] y, int j, int out, float[] edge) {
    if (j + TILE <= out) {
      lo.intoArray(y, j);
      hi.intoArray(y, j + LANES);
    } else {
      lo.intoArray(edge, 0);
      hi.intoArray(edge, LANES);
      System.arraycopy(edge, 0, y, j, out - j);
    }
  }
}
