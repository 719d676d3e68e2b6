package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.kamado.model.NdTensors;

/**
 * One linear projection of a decoder layer ({@code y = x W^T + b}), with an optional LoRA update
 * ({@code + scaling * B(A(dropout(x)))}, as PEFT computes it).
 *
 * <p>Training and evaluation use {@link #apply} (one fused libtorch {@code linear} over all rows). Inference uses a
 * transposed copy of the weight made by {@link #prepareDecoding}: {@link #applyRows} (every row its own one-row
 * product, all rows in one call; {@link LlamaModel.DecodeMode#ROWS}), {@link #applyEachRow} (one call per row, the
 * fallback) or {@link #applyBatched} (one GEMM over a batch padded to at least {@link GemmRowCheck#MIN_ROWS} rows).
 */
final class Projection {

  /** PEFT module name, such as {@code q_proj}. */
  final String module;
  /** Hugging Face name prefix, such as {@code model.layers.0.self_attn.q_proj}. */
  final String prefix;
  final NDArray weight;
  final NDArray bias;

  NDArray loraA;
  NDArray loraB;
  float loraScaling;
  float loraDropout;

  Projection(String module, String prefix, NDArray weight, NDArray bias) {
    this.module = module;
    this.prefix = prefix;
    this.weight = weight;
    this.bias = bias;
  }

  long inFeatures() {
    return weight.getShape().get(1);
  }

  long outFeatures() {
    return weight.getShape().get(0);
  }

  void attachLora(NDArray a, NDArray b, float scaling, float dropout) {
    loraA = a;
    loraB = b;
    loraScaling = scaling;
    loraDropout = dropout;
  }

  void detachLora() {
    loraA = null;
    loraB = null;
  }

  /** {@code x [.., in] -> [.., out]} with one GEMM; LoRA dropout only when {@code training}. */
  NDArray apply(NDArray x, boolean training) {
    return apply(x, loraInput(x, training));
  }

  /**
   * {@code x [.., in] -> [.., out]} with one GEMM, the LoRA update (if any) computed from {@code loraInput} (x after
   * LoRA dropout, possibly shared with the other projections that read the same x).
   */
  NDArray apply(NDArray x, NDArray loraInput) {
    NDArray y = bias == null ? Linear.linear(x, weight).singletonOrThrow()
        : Linear.linear(x, weight, bias).singletonOrThrow();
    if (loraA == null) {
      return y;
    }
    // scaling applied to the r-wide inner result: B((A x) s) = s B(A x), with r multiplications per token, not out
    NDArray low = NdTensors.times(Linear.linear(loraInput, loraA).singletonOrThrow(), loraScaling);
    return y.add(Linear.linear(low, loraB).singletonOrThrow());
  }

  /** x after LoRA dropout when this projection has an adapter with dropout and {@code training}, else x. */
  NDArray loraInput(NDArray x, boolean training) {
    return loraA != null && training && loraDropout > 0
        ? Dropout.dropout(x, loraDropout, true).singletonOrThrow() : x;
  }

  /**
   * The weight as a contiguous {@code [in, out]} matrix (W transposed), made by {@link #prepareDecoding}; null
   * before. libtorch's product of one row with it ({@code mm(x, Wt)}) is 2-3x faster than {@code linear(x, W)}, and its
   * GEMM of the 32000 x 512 LM head 1.5x faster (libtorch 2.7.1, MKL, one thread).
   */
  private NDArray weightT;
  /** Column blocks of {@link #weightT} (views; a single block = weightT unless made for the LM head). */
  private NDArray[] blocks;
  /** {@code broadcasts[b][rows]}: block b broadcast to {@code [rows, in, width]} (views, made on first use). */
  private NDArray[][] broadcasts;

  /** Bytes of one column block of the LM head's transposed weight (its last block may be smaller). */
  static final long BLOCK_BYTES = 2L << 20;

  /**
   * Makes (or remakes, after the weight changed) the transposed copy that prefill and decoding read, in
   * {@code owner}; {@code blocked}: split its columns in blocks of about {@link #BLOCK_BYTES} (the LM head, whose
   * blocks then stay in the cache while every row of a batch reads them). Returns the copy's size in bytes.
   */
  long prepareDecoding(NDManager owner, boolean blocked) {
    releaseDecoding();
    int out = Math.toIntExact(outFeatures());
    int in = Math.toIntExact(inFeatures());
    float[] w = weight.toFloatArray();
    float[] t = new float[w.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        t[i * out + o] = w[o * in + i];
      }
    }
    weightT = owner.create(t, new Shape(in, out));
    weightT.setName(prefix + ".weight^T");
    int width = blocked ? (int) Math.max(64, BLOCK_BYTES / (4L * in) / 64 * 64) : out;
    if (width >= out) {
      blocks = new NDArray[] {weightT};
    } else {
      blocks = new NDArray[(out + width - 1) / width];
      for (int b = 0; b < blocks.length; b++) {
        blocks[b] = weightT.get(new NDIndex().addAllDim().addSliceDim((long) b * width,
            Math.min(out, (long) (b + 1) * width)));
      }
    }
    broadcasts = new NDArray[blocks.length][GemmRowCheck.MAX_ROWS + 1];
    return 4L * t.length;
  }

  /** Frees the transposed copy and its views (no-op when none). */
  void releaseDecoding() {
    if (weightT != null) {
      for (NDArray[] perBlock : broadcasts) {
        for (NDArray view : perBlock) {
          if (view != null) {
            view.close();
          }
        }
      }
      for (NDArray block : blocks) {
        if (block != weightT) {
          block.close();
        }
      }
      weightT.close();
      weightT = null;
      blocks = null;
      broadcasts = null;
    }
  }

  /** The transposed copy made by {@link #prepareDecoding} (null before). */
  NDArray weightT() {
    return weightT;
  }

  /** The column blocks of the transposed copy (one block unless blocked). */
  NDArray[] blocks() {
    return blocks;
  }

  /**
   * {@code x [rows, 1, in] -> [rows, 1, out]}, each row through its own one-row product with the transposed weight:
   * per column block one libtorch {@code matmul} of x with the block broadcast over the rows (a batched product of
   * {@code rows} one-row matrices, so one call for all rows). The bias, and the LoRA update row by row, follow.
   * Batch-invariant when {@link GemmRowCheck#rowsFailure} passes for these weights (it does with libtorch 2.7.1 on
   * x86-64 for the model shapes; then a row gets the bits of {@code mm} of that row alone).
   *
   * @param rows at most {@link GemmRowCheck#MAX_ROWS}
   */
  NDArray applyRows(NDArray x, NDManager scope) {
    int rows = Math.toIntExact(x.getShape().get(0));
    NDArray y;
    if (blocks.length == 1) {
      y = x.batchMatMul(broadcast(0, rows));
    } else {
      NDList parts = new NDList(blocks.length);
      for (int b = 0; b < blocks.length; b++) {
        parts.add(x.batchMatMul(broadcast(b, rows)));
      }
      y = NDArrays.concat(parts, 2);
    }
    if (bias != null) {
      y = y.add(bias);
    }
    if (loraA != null) {
      y = y.add(loraPerRow(x));
    }
    if (y.getManager() != scope) {
      y.attach(scope);
    }
    return y;
  }

  private NDArray broadcast(int block, int rows) {
    NDArray view = broadcasts[block][rows];
    if (view == null) {
      NDArray w = blocks[block];
      view = w.broadcast(new Shape(rows, w.getShape().get(0), w.getShape().get(1)));
      view.attach(weightT.getManager());
      broadcasts[block][rows] = view;
    }
    return view;
  }

  /**
   * {@code x [rows, 1, in] -> [rows, 1, out]}, one libtorch call per row ({@link #applyRows} of that row alone), so
   * batch-invariant by construction: the fallback when {@link GemmRowCheck} finds the broadcast product's rows not
   * invariant.
   */
  NDArray applyEachRow(NDArray x, NDManager scope) {
    long rows = x.getShape().get(0);
    if (rows == 1) {
      return applyRows(x, scope);
    }
    NDList out = new NDList((int) rows);
    for (NDArray row : alignedRows(x)) {
      out.add(applyRows(row, scope));
    }
    return NDArrays.concat(out, 0);
  }

  /**
   * {@code x [rows, 1, in] -> [rows, 1, out]} with one GEMM over all rows ({@code mm} on the transposed weight, the
   * LoRA update with {@code linear}); batch-invariant only when {@link LlamaModel#decode} pads the batch to at least
   * {@link GemmRowCheck#MIN_ROWS} rows and {@link GemmRowCheck#batchedFailure} passes.
   */
  NDArray applyBatched(NDArray x) {
    // libtorch's matmul folds [rows, 1, in] @ [in, out] into one mm over all rows
    NDArray y = x.matMul(weightT);
    if (bias != null) {
      y = y.add(bias);
    }
    if (loraA == null) {
      return y;
    }
    NDArray low = NdTensors.times(Linear.linear(x, loraA).singletonOrThrow(), loraScaling);
    return y.add(Linear.linear(low, loraB).singletonOrThrow());
  }

  /** The LoRA update of each row computed alone ({@code linear} of one row). */
  private NDArray loraPerRow(NDArray x) {
    NDList out = new NDList();
    for (NDArray row : x.getShape().get(0) == 1 ? new NDList(x) : alignedRows(x)) {
      NDArray low = NdTensors.times(Linear.linear(row, loraA).singletonOrThrow(), loraScaling);
      out.add(Linear.linear(low, loraB).singletonOrThrow());
    }
    return out.size() == 1 ? out.get(0) : NDArrays.concat(out, 0);
  }

  /**
   * The rows of {@code x [rows, 1, in]} as arrays of one row; rows of a buffer start at multiples of in floats, so
   * they are copied when that breaks 64-byte alignment, and every row meets the kernels as a freshly allocated single
   * row does.
   */
  private static NDList alignedRows(NDArray x) {
    long rows = x.getShape().get(0);
    boolean aligned = x.getShape().get(2) % 16 == 0;
    NDList parts = x.split(rows, 0);
    if (aligned) {
      return parts;
    }
    NDList copies = new NDList((int) rows);
    for (NDArray row : parts) {
      copies.add(row.duplicate());
    }
    return copies;
  }
}
