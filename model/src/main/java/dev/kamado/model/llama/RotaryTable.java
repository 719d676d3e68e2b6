package dev.kamado.model.llama;

import java.util.Arrays;

/**
 * cos and sin of the rotary embedding for positions 0..n-1, computed once in Java (grown on demand) and copied per
 * token. Computing them here rather than with libtorch's vectorised cos/sin keeps each token's values independent of
 * how many tokens share the call (libtorch computes the tail of a buffer with a scalar routine whose last bit can
 * differ), which batch-invariant decoding needs. Values follow transformers: {@code angle = (float) position *
 * inv_freq} in F32, then cos and sin rounded to F32.
 */
final class RotaryTable {

  private final float[] invFreq;
  private final int dim;
  private float[] cos = new float[0];
  private float[] sin = new float[0];
  private int positions;

  RotaryTable(float[] invFreq) {
    this.invFreq = invFreq.clone();
    this.dim = invFreq.length;
  }

  /** Copies cos and sin of {@code position} into {@code cosOut} and {@code sinOut} at {@code offset}. */
  synchronized void copy(int position, float[] cosOut, float[] sinOut, int offset) {
    if (position >= positions) {
      grow(position + 1);
    }
    System.arraycopy(cos, position * dim, cosOut, offset, dim);
    System.arraycopy(sin, position * dim, sinOut, offset, dim);
  }

  private void grow(int needed) {
    int n = Math.max(needed, Math.max(256, positions * 2));
    float[] c = Arrays.copyOf(cos, n * dim);
    float[] s = Arrays.copyOf(sin, n * dim);
    for (int p = positions; p < n; p++) {
      for (int i = 0; i < dim; i++) {
        float angle = (float) p * invFreq[i];
        c[p * dim + i] = (float) Math.cos(angle);
        s[p * dim + i] = (float) Math.sin(angle);
      }
    }
    cos = c;
    sin = s;
    positions = n;
  }
}
