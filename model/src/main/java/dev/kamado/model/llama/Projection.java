package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.kamado.model.NdTensors;

/**
 * One linear projection of a decoder layer ({@code y = x W^T + b}), with an optional LoRA update
 * ({@code + scaling * B(A(dropout(x)))}, as PEFT computes it).
 *
 * <p>Two ways to compute it: {@link #apply} uses one fused libtorch {@code linear} (a GEMM over all rows, used for
 * training, prefill and batched decoding, whose rows {@link LlamaModel#decode} pads to at least
 * {@link GemmRowCheck#MIN_ROWS}), {@link #applyPerRow} runs one {@code linear} per row, so that a row's result never
 * depends on how many other rows there are (the fallback decoding when {@link GemmRowCheck} finds padded GEMM rows
 * not invariant on this CPU).
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
   * {@code x [B, 1, in] -> [B, 1, out]}, inference only, batch-invariant: every row goes through its own libtorch
   * {@code linear} of one row (the call a single sequence makes), so a row's result never depends on B. (One GEMM over
   * B rows picks other kernels than one row and changes the last bits; measured with libtorch 2.7.1.)
   */
  NDArray applyPerRow(NDArray x, NDManager scope) {
    long rows = x.getShape().get(0);
    if (rows == 1) {
      return apply(x, x);
    }
    // rows of a [B, 1, in] buffer start at multiples of in floats; copy them when that breaks 64-byte alignment, so
    // that every row meets the kernels exactly as a freshly allocated single row does
    boolean aligned = x.getShape().get(2) % 16 == 0;
    NDList parts = x.split(rows, 0);
    NDList out = new NDList((int) rows);
    for (NDArray row : parts) {
      NDArray r = aligned ? row : row.duplicate();
      out.add(apply(r, r));
    }
    NDArray y = NDArrays.concat(out, 0);
    if (y.getManager() != scope) {
      y.attach(scope);
    }
    return y;
  }
}
