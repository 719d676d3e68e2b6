package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;

/**
 * The LM head of inference ({@code logits = h W^T}, W {@code [vocab, hidden]}) computed in Java, for any number of
 * rows at once, giving every row bitwise the same logits whatever the other rows: each logit is summed over the hidden
 * dimension in ascending order with one rounding per multiplication and per addition (Java's strict IEEE semantics,
 * so the JIT's vectorisation across logits cannot change a bit), and no summation crosses rows.
 *
 * <p>Why not libtorch: its one-row product ({@code mm} on the transposed weight, about 2.6 ms for 32000 x 512) gives
 * other bits than its GEMM of four or more rows, and that GEMM costs 4x more for four rows (about 11 ms; MKL packs the
 * whole matrix and computes full tiles). Here the weight is read once per call for all rows: streamed block by block
 * (blocks of {@link #BLOCK} logits, each a contiguous {@code [hidden, BLOCK]} slice) while the rows' accumulators of
 * one block stay in the L1/L2 cache.
 *
 * <p>Memory: a copy of W as Java floats, {@code 4 * vocab * hidden} bytes on the heap.
 */
final class LogitsProjection {

  /** Logits per block: 512 floats (2 KiB) per hidden unit, so a block's accumulators for 16 rows fill 32 KiB. */
  static final int BLOCK = 512;

  private final int vocab;
  private final int hidden;
  /** Block b holds W^T[:, b*BLOCK .. b*BLOCK+width) row by row: {@code blocks[b][k * width + j]}. */
  private final float[][] blocks;

  /** Copies {@code weight} [vocab, hidden] into the blocked layout. */
  LogitsProjection(NDArray weight) {
    this.vocab = Math.toIntExact(weight.getShape().get(0));
    this.hidden = Math.toIntExact(weight.getShape().get(1));
    float[] w = weight.toFloatArray();
    int count = (vocab + BLOCK - 1) / BLOCK;
    blocks = new float[count][];
    for (int b = 0; b < count; b++) {
      int from = b * BLOCK;
      int width = Math.min(BLOCK, vocab - from);
      float[] block = new float[hidden * width];
      for (int j = 0; j < width; j++) {
        int src = (from + j) * hidden;
        for (int k = 0; k < hidden; k++) {
          block[k * width + j] = w[src + k];
        }
      }
      blocks[b] = block;
    }
  }

  /** Bytes of the Java copy of the weight. */
  long bytes() {
    return 4L * vocab * hidden;
  }

  /**
   * Logits of {@code rows} rows: {@code h} holds them one after another ({@code rows * hidden} floats); returns
   * {@code [rows][vocab]}.
   */
  float[][] apply(float[] h, int rows) {
    if (h.length != rows * hidden) {
      throw new IllegalArgumentException("expected " + rows + " x " + hidden + " floats, got " + h.length);
    }
    float[][] out = new float[rows][vocab];
    for (int b = 0; b < blocks.length; b++) {
      float[] block = blocks[b];
      int from = b * BLOCK;
      int width = block.length / hidden;
      for (int r = 0; r < rows; r++) {
        float[] y = out[r];
        float a = h[r * hidden];
        for (int j = 0; j < width; j++) {
          y[from + j] = a * block[j];
        }
      }
      for (int k = 1; k < hidden; k++) {
        int offset = k * width;
        for (int r = 0; r < rows; r++) {
          axpy(h[r * hidden + k], block, offset, out[r], from, width);
        }
      }
    }
    return out;
  }

  /** {@code y[at + j] += a * w[offset + j]} for j in [0, width): one multiplication and one addition each. */
  private static void axpy(float a, float[] w, int offset, float[] y, int at, int width) {
    for (int j = 0; j < width; j++) {
      y[at + j] += a * w[offset + j];
    }
  }
}
