package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;

/**
 * One linear projection of a decoder layer ({@code y = x W^T + b}), with an optional LoRA update
 * ({@code + scaling * B(A(dropout(x)))}, as PEFT computes it).
 *
 * <p>Two ways to compute it: {@link #apply} uses one fused libtorch {@code linear} (a GEMM over all rows, used for
 * training and prefill), {@link #applyPerRow} multiplies every row separately inside one batched matmul, so that a
 * row's result never depends on how many other rows there are (batch-invariant decoding; a single GEMM over several
 * rows picks other kernels than a single row and changes the last bits).
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
    NDArray y = bias == null ? Linear.linear(x, weight).singletonOrThrow()
        : Linear.linear(x, weight, bias).singletonOrThrow();
    if (loraA == null) {
      return y;
    }
    NDArray in = training && loraDropout > 0 ? Dropout.dropout(x, loraDropout, true).singletonOrThrow() : x;
    NDArray low = Linear.linear(in, loraA).singletonOrThrow();
    NDArray up = Linear.linear(low, loraB).singletonOrThrow();
    return y.add(up.mul(loraScaling));
  }

  /** {@code x [B, 1, in] -> [B, 1, out]}, each row computed on its own (batch-invariant), inference only. */
  NDArray applyPerRow(NDArray x, NDManager scope) {
    NDArray y = perRow(x, weight, scope);
    if (bias != null) {
      y = y.add(bias);
    }
    if (loraA == null) {
      return y;
    }
    NDArray low = perRow(x, loraA, scope);
    NDArray up = perRow(low, loraB, scope);
    return y.add(up.mul(loraScaling));
  }

  /**
   * {@code x [B, 1, in] @ matrix^T} as B separate row-times-matrix products in one batched matmul: the matrix is
   * transposed and broadcast to [B, in, out] as views (no copy). The views are made per call, never cached, so that
   * callers may replace a parameter's storage (for example with {@code NDArray.set}) at any time.
   */
  private static NDArray perRow(NDArray x, NDArray matrix, NDManager scope) {
    Shape s = matrix.getShape();
    NDArray t = matrix.transpose();
    t.attach(scope);
    NDArray expanded = t.broadcast(new Shape(x.getShape().get(0), s.get(1), s.get(0)));
    if (expanded.getManager() != scope) {
      expanded.attach(scope);
    }
    return x.matMul(expanded);
  }
}
