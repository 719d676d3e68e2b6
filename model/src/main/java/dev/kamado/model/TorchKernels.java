package dev.kamado.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch operators that DJL 0.36's NDArray API does not expose, used by training: fused {@code silu},
 * {@code scaled_dot_product_attention} (libtorch's flash-attention kernel for the CPU, which skips the masked half of a
 * causal product), the fused multi-tensor AdamW step ({@code _fused_adamw_}: one pass over parameter, gradient and
 * both moments) and the global gradient norm ({@code _foreach_norm}).
 *
 * <p>DJL reaches libtorch operators only through its fixed JNI functions, or through a TorchScript module. This class
 * writes a tiny TorchScript archive in memory (the serialized-code text below, a two-line pickle, no weights: plain
 * Java, nothing generated elsewhere) and loads it once per process with DJL's module loader; each kernel is a method
 * of that module, called with the NDArrays' own native tensors (no copies). Methods that must be differentiable run
 * in DJL's training mode, so autograd records them like any other operation under a
 * {@link ai.djl.training.GradientCollector}; the optimizer methods run without autograd; {@link #gradients} is
 * {@code torch.autograd.grad}, for threads that compute gradients side by side. The TorchScript graph
 * optimiser is switched off for these calls (each method is one or two operators; nothing to fuse), so they run
 * exactly the named kernels, deterministically.
 *
 * <p>Thread-safe (the module is immutable); the loaded module lives until the process ends.
 */
public final class TorchKernels {

  /** The TorchScript source of the module (serialized-code dialect: explicit self types, dtype numbers). */
  private static final String CODE = String.join("\n",
      "class KamadoKernels(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  training : bool",
      "  def forward(self: __torch__.KamadoKernels, x: Tensor) -> Tensor:",
      "    return torch.silu(x)",
      "  def silu(self: __torch__.KamadoKernels, x: Tensor) -> Tensor:",
      "    return torch.silu(x)",
      "  def attention(self: __torch__.KamadoKernels, q: Tensor, k: Tensor, v: Tensor, mask: Tensor,",
      "      scale: Tensor) -> Tensor:",
      "    return torch.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=float(scale), enable_gqa=True)",
      "  def causal_attention(self: __torch__.KamadoKernels, q: Tensor, k: Tensor, v: Tensor,",
      "      scale: Tensor) -> Tensor:",
      "    return torch.scaled_dot_product_attention(q, k, v, None, 0., True, scale=float(scale), enable_gqa=True)",
      "  def adamw(self: __torch__.KamadoKernels, params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor],",
      "      exp_avg_sqs: List[Tensor], step: float, lr: float, beta1: float, beta2: float, weight_decay: float,",
      "      eps: float, grad_scale: float) -> NoneType:",
      "    t = torch.full(annotate(List[int], []), step, dtype=6, device=params[0].device)",
      "    steps = [t for _ in range(len(params))]",
      "    scale = torch.full(annotate(List[int], []), grad_scale, dtype=6, device=params[0].device)",
      "    torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps, lr=lr,"
          + " beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False,"
          + " grad_scale=scale)",
      "    torch._foreach_zero_(grads)",
      "    return None",
      "  def grad_norm(self: __torch__.KamadoKernels, grads: List[Tensor]) -> Tensor:",
      "    norms = torch._foreach_norm(grads, 2)",
      "    return torch.linalg_vector_norm(torch.stack(norms), 2)",
      "  def gradients(self: __torch__.KamadoKernels, loss: Tensor, inputs: List[Tensor]) -> List[Tensor]:",
      "    grads = torch.autograd.grad([loss], inputs, None, False, False, True)",
      "    out = annotate(List[Tensor], [])",
      "    for i in range(len(inputs)):",
      "      g = grads[i]",
      "      if g is None:",
      "        out.append(torch.zeros_like(inputs[i]))",
      "      else:",
      "        out.append(g)",
      "    return out",
      "  def scale_(self: __torch__.KamadoKernels, grads: List[Tensor], factor: float) -> NoneType:",
      "    torch._foreach_mul_(grads, factor)",
      "    return None",
      "");

  /** Entry time of the archive's files (a fixed one, so the archive's bytes do not depend on the clock). */
  private static final long FIXED_TIME = 315_576_000_000L;

  private static volatile TorchKernels instance;

  private final PtSymbolBlock module;

  private TorchKernels(PtSymbolBlock module) {
    this.module = module;
  }

  /** The kernels of this process (the module is built and loaded on first use). */
  public static TorchKernels get() {
    TorchKernels k = instance;
    if (k == null) {
      synchronized (TorchKernels.class) {
        k = instance;
        if (k == null) {
          PtNDManager owner = (PtNDManager) Engines.pytorch().newBaseManager();
          try {
            k = new TorchKernels(JniUtils.loadModule(owner, new ByteArrayInputStream(archive()), false, false));
          } catch (IOException e) {
            throw new UncheckedIOException("cannot load Kamado's TorchScript kernels", e);
          }
          instance = k;
        }
      }
    }
    return k;
  }

  /** {@code x * sigmoid(x)} in one libtorch kernel (and one for its gradient); differentiable. */
  public NDArray silu(NDArray x) {
    return differentiable("silu", x);
  }

  /**
   * {@code softmax(q k^T * scale + mask) v} with libtorch's fused attention kernel; differentiable. q [B, H, T, D],
   * k and v [B, Hkv, S, D] (H a multiple of Hkv: grouped-query attention), mask additive, broadcastable to
   * [B, H, T, S], or null for a plain causal mask (query t sees keys 0..t; the kernel then skips the blocks above
   * the diagonal).
   */
  public NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, float scale) {
    NDArray s = q.getManager().full(new Shape(), scale, DataType.FLOAT32);
    return mask == null ? differentiable("causal_attention", q, k, v, s)
        : differentiable("attention", q, k, v, mask, s);
  }

  /**
   * One AdamW step over parameter tensors as {@code torch.optim.AdamW(fused=True)} computes it, in place, then zeroes
   * the gradients: per element {@code g = grad / gradScale; p *= 1 - lr*wd; m = lerp(m, g, 1-b1);
   * v = b2*v + (1-b2)*g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}, one pass over p, g, m and v.
   *
   * @param step the step number t of this update (1 for the first)
   * @param gradScale the gradients are divided by it (1 = unchanged; 1/c applies a clipping coefficient c)
   */
  public void adamw(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvgs, List<NDArray> expAvgSqs,
      long step, double lr, double beta1, double beta2, double weightDecay, double eps, double gradScale) {
    if (params.isEmpty()) {
      return;
    }
    JniUtils.setGraphExecutorOptimize(false);
    IValue[] args = {list(params), list(grads), list(expAvgs), list(expAvgSqs), IValue.from((double) step),
        IValue.from(lr), IValue.from(beta1), IValue.from(beta2), IValue.from(weightDecay), IValue.from(eps),
        IValue.from(gradScale)};
    try {
      IValueUtils.runMethod(module, "adamw", args).close();
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  /** The L2 norm of all the tensors together (as {@code clip_grad_norm_} measures it), in float. */
  public double norm(List<NDArray> tensors) {
    JniUtils.setGraphExecutorOptimize(false);
    IValue in = list(tensors);
    try (IValue out = IValueUtils.runMethod(module, "grad_norm", in);
        NDManager scratch = tensors.get(0).getManager().newSubManager()) {
      return out.toTensor((PtNDManager) scratch).getFloat();
    } finally {
      in.close();
    }
  }

  /**
   * The gradients of the scalar {@code loss} with respect to each of {@code inputs} ({@code torch.autograd.grad}), in
   * new arrays of {@code into}, without touching the inputs' own accumulated gradients; an input the loss does not
   * depend on gets zeros. Frees the loss's graph. Unlike a backward pass, it leaves no state on the inputs, so several
   * threads may differentiate separate losses over the same parameters at once.
   */
  public List<NDArray> gradients(NDArray loss, List<NDArray> inputs, NDManager into) {
    JniUtils.setGraphExecutorOptimize(false);
    IValue[] args = {IValue.from((PtNDArray) loss), list(inputs)};
    try (IValue out = IValueUtils.runMethod(module, "gradients", args)) {
      return List.of(out.toTensorArray((PtNDManager) into));
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  /** Multiplies every tensor in place by {@code factor}, without autograd. */
  public void scale(List<NDArray> tensors, double factor) {
    JniUtils.setGraphExecutorOptimize(false);
    IValue[] args = {list(tensors), IValue.from(factor)};
    try {
      IValueUtils.runMethod(module, "scale_", args).close();
    } finally {
      for (IValue a : args) {
        a.close();
      }
    }
  }

  private NDArray differentiable(String method, NDArray... inputs) {
    JniUtils.setGraphExecutorOptimize(false);
    NDManager scope = inputs[0].getManager();
    // DJL picks the method from an array named module_method:<name> (not passed on); results go to its manager
    NDArray selector = scope.create(0f);
    selector.setName("module_method:" + method);
    NDList args = new NDList(inputs.length + 1);
    args.add(selector);
    for (NDArray in : inputs) {
      args.add(in);
    }
    NDArray out = IValueUtils.forward(module, args, true).singletonOrThrow();
    selector.close();
    return out;
  }

  private static IValue list(List<NDArray> arrays) {
    PtNDArray[] a = new PtNDArray[arrays.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = (PtNDArray) arrays.get(i);
    }
    return IValue.listFrom(a);
  }

  /** The TorchScript archive: code, a pickled module object with only its training flag, no tensors. */
  static byte[] archive() {
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    // protocol 2: GLOBAL __torch__.KamadoKernels, (), NEWOBJ, {"training": True}, BUILD, STOP
    pickle.writeBytes(new byte[] {(byte) 0x80, 2, 'c'});
    pickle.writeBytes("__torch__\nKamadoKernels\n".getBytes(StandardCharsets.US_ASCII));
    pickle.writeBytes(new byte[] {')', (byte) 0x81, '}', 'X', 8, 0, 0, 0});
    pickle.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
    pickle.writeBytes(new byte[] {(byte) 0x88, 's', 'b', '.'});
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      stored(z, "kernels/data.pkl", pickle.toByteArray());
      stored(z, "kernels/code/__torch__.py", CODE.getBytes(StandardCharsets.UTF_8));
      stored(z, "kernels/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      stored(z, "kernels/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      stored(z, "kernels/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return zip.toByteArray();
  }

  private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setTime(FIXED_TIME);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    z.putNextEntry(e);
    z.write(data);
    z.closeEntry();
  }
}
