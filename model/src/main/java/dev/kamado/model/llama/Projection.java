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
  /** {@code weight} transposed and with a leading axis of 1 ([1, in, out]), a view for per-row products. */
  private final NDArray weightT;

  NDArray loraA;
  NDArray loraB;
  private NDArray loraAT;
  private NDArray loraBT;
  float loraScaling;
  float loraDropout;

  Projection(String module, String prefix, NDArray weight, NDArray bias) {
    this.module = module;
    this.prefix = prefix;
    this.weight = weight;
    this.bias = bias;
    this.weightT = leadingView(weight);
  }

  long inFeatures() {
    return weight.getShape().get(1);
  }

  long outFeatures() {
    return weight.getShape().get(0);
  }

  void attachLora(NDArray a, NDArray b, float scaling, float dropout) {
    detachLora();
    loraA = a;
    loraB = b;
    loraScaling = scaling;
    loraDropout = dropout;
    // The views live with the adapter's arrays; they go when the adapter is closed or detached.
    loraAT = leadingView(a);
    loraBT = leadingView(b);
  }

  void detachLora() {
    if (loraAT != null && !loraAT.isReleased()) {
      loraAT.close();
      loraBT.close();
    }
    loraA = null;
    loraB = null;
    loraAT = null;
    loraBT = null;
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
    NDArray y = perRow(x, weightT, scope);
    if (bias != null) {
      y = y.add(bias);
    }
    if (loraA == null) {
      return y;
    }
    NDArray low = perRow(x, loraAT, scope);
    NDArray up = perRow(low, loraBT, scope);
    return y.add(up.mul(loraScaling));
  }

  /** {@code m} transposed with a leading axis of 1, a view in {@code m}'s manager (no copy). */
  private static NDArray leadingView(NDArray m) {
    NDArray t = m.transpose();
    NDArray view = t.expandDims(0);
    t.close();
    return view;
  }

  private static NDArray perRow(NDArray x, NDArray matrixT, NDManager scope) {
    Shape s = matrixT.getShape();
    NDArray expanded = matrixT.broadcast(new Shape(x.getShape().get(0), s.get(1), s.get(2)));
    expanded.attach(scope);
    return x.matMul(expanded);
  }
}
