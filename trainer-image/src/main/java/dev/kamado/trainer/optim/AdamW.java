package dev.kamado.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.kamado.model.NdTensors;
import dev.kamado.model.TorchKernels;
import dev.kamado.model.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * AdamW with decoupled weight decay (Loshchilov and Hutter), computed like PyTorch's {@code torch.optim.AdamW}:
 * {@code p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}.
 *
 * <p>A step is libtorch's fused multi-tensor AdamW kernel ({@code _fused_adamw_}, what
 * {@code torch.optim.AdamW(fused=True)} runs, through {@link TorchKernels}): one pass over each parameter, its
 * gradient and both moments, in place, two calls per step (parameters with and without weight decay), then the
 * gradients are zeroed in one more call. Not recorded for autograd. Weight decay is not applied to biases and
 * normalisation weights (names ending in {@code .bias} or containing {@code norm}), as Hugging Face's Trainer does. The
 * moments live in the optimizer's own NDManager, one array per parameter, and are exposed for checkpoints.
 */
public final class AdamW implements AutoCloseable {

  /**
   * The fixed settings.
   *
   * @param beta1 first-moment decay (0.9)
   * @param beta2 second-moment decay (0.999)
   * @param eps denominator epsilon (1e-8)
   * @param weightDecay decoupled weight decay
   */
  public record Settings(double beta1, double beta2, double eps, double weightDecay) {
    /** PyTorch's and transformers' defaults with the given weight decay. */
    public static Settings defaults(double weightDecay) {
      return new Settings(0.9, 0.999, 1e-8, weightDecay);
    }
  }

  private final Settings settings;
  private final Map<String, NDArray> parameters;
  private final Map<String, NDArray> firstMoments = new LinkedHashMap<>();
  private final Map<String, NDArray> secondMoments = new LinkedHashMap<>();
  private final NDManager manager;
  private long step;

  /**
   * An optimizer for {@code parameters} (name to array, each with gradients enabled), with zero moments.
   *
   * @param parent manager under which the moments are allocated
   */
  public AdamW(Map<String, NDArray> parameters, Settings settings, NDManager parent) {
    this(parameters, settings, parent, true);
  }

  private AdamW(Map<String, NDArray> parameters, Settings settings, NDManager parent, boolean zeroMoments) {
    this.settings = settings;
    this.parameters = new LinkedHashMap<>(parameters);
    this.manager = parent.newSubManager();
    for (Map.Entry<String, NDArray> e : this.parameters.entrySet()) {
      if (!zeroMoments) {
        break;
      }
      firstMoments.put(e.getKey(), manager.zeros(e.getValue().getShape(), e.getValue().getDataType()));
      secondMoments.put(e.getKey(), manager.zeros(e.getValue().getShape(), e.getValue().getDataType()));
    }
  }

  /** Whether weight decay applies to the parameter of that name. */
  public static boolean decays(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return !lower.endsWith(".bias") && !lower.contains("norm");
  }

  /** Optimizer steps taken so far (the {@code t} of the bias correction). */
  public long stepCount() {
    return step;
  }

  /** First moments by parameter name (live arrays, for checkpoints). */
  public Map<String, NDArray> firstMoments() {
    return firstMoments;
  }

  /** Second moments by parameter name (live arrays, for checkpoints). */
  public Map<String, NDArray> secondMoments() {
    return secondMoments;
  }

  /**
   * An optimizer resumed from a checkpoint's {@code optimizer.safetensors} (tensors {@code exp_avg.<name>} and
   * {@code exp_avg_sq.<name>}), loaded into arrays with their own torch memory, after {@code stepCount} steps.
   *
   * @throws IOException when the file cannot be read or lacks a parameter's state
   */
  public static AdamW restore(Map<String, NDArray> parameters, Settings settings, NDManager parent, long stepCount,
      Path file) throws IOException {
    AdamW opt = new AdamW(parameters, settings, parent, false);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : parameters.keySet()) {
        if (!f.names().contains("exp_avg." + name) || !f.names().contains("exp_avg_sq." + name)) {
          throw new IOException(file + " has no optimizer state for parameter " + name);
        }
        opt.firstMoments.put(name, NdTensors.load(opt.manager, f, "exp_avg." + name));
        opt.secondMoments.put(name, NdTensors.load(opt.manager, f, "exp_avg_sq." + name));
      }
    } catch (IOException | RuntimeException e) {
      opt.close();
      throw e;
    }
    opt.step = stepCount;
    return opt;
  }

  /**
   * Applies one update with learning rate {@code lr} from the gradients accumulated in the parameters, then zeroes
   * those gradients.
   */
  public void step(double lr) {
    step(lr, 1.0);
  }

  /**
   * Applies one update with learning rate {@code lr} from the gradients accumulated in the parameters multiplied by
   * {@code gradientFactor} (a clipping coefficient, see {@link GradientClipping#coefficient}; the gradients
   * themselves are not rescaled first, the kernel divides by {@code 1 / gradientFactor} as it reads them), then
   * zeroes those gradients.
   */
  public void step(double lr, double gradientFactor) {
    step++;
    double gradScale = gradientFactor == 1.0 ? 1.0 : 1.0 / gradientFactor;
    try (NDManager scratch = manager.newSubManager()) {
      for (boolean decayed : new boolean[] {true, false}) {
        List<NDArray> p = new ArrayList<>();
        List<NDArray> g = new ArrayList<>();
        List<NDArray> m = new ArrayList<>();
        List<NDArray> v = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
          if ((settings.weightDecay() != 0 && decays(e.getKey())) != decayed) {
            continue;
          }
          NDArray grad = e.getValue().getGradient();
          grad.attach(scratch); // a new handle on the gradient; freed with the scratch manager
          p.add(e.getValue());
          g.add(grad);
          m.add(firstMoments.get(e.getKey()));
          v.add(secondMoments.get(e.getKey()));
        }
        TorchKernels.get().adamw(p, g, m, v, step, lr, settings.beta1(), settings.beta2(),
            decayed ? settings.weightDecay() : 0.0, settings.eps(), gradScale);
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
