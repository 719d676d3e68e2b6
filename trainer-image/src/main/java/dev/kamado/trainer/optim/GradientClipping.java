package dev.kamado.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.kamado.model.TorchKernels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Clipping by global norm, as {@code torch.nn.utils.clip_grad_norm_}: the L2 norm over all gradients together
 * (libtorch's {@code _foreach_norm}, one read of each gradient); when it exceeds {@code maxNorm}, every gradient is
 * scaled by {@code maxNorm / (norm + 1e-6)}. The trainer hands that coefficient to {@link AdamW#step(double, double)},
 * which applies it as it reads the gradients (no separate pass); {@link #clip} scales them in place.
 */
public final class GradientClipping {

  private GradientClipping() {}

  /**
   * Clips the gradients of {@code parameters} in place.
   *
   * @param maxNorm the largest global norm allowed; 0 or less only measures
   * @return the global norm before clipping
   */
  public static double clip(Collection<NDArray> parameters, double maxNorm, NDManager parent) {
    try (NDManager scratch = parent.newSubManager()) {
      List<NDArray> grads = gradients(parameters, scratch);
      double total = TorchKernels.get().norm(grads);
      double coefficient = coefficient(total, maxNorm);
      if (coefficient < 1.0) {
        TorchKernels.get().scale(grads, coefficient);
      }
      return total;
    }
  }

  /** The global L2 norm of the gradients of {@code parameters}. */
  public static double norm(Collection<NDArray> parameters, NDManager parent) {
    try (NDManager scratch = parent.newSubManager()) {
      return TorchKernels.get().norm(gradients(parameters, scratch));
    }
  }

  /**
   * The factor that clipping applies to every gradient: {@code maxNorm / (norm + 1e-6)} when that is below 1, else 1
   * (also when {@code maxNorm} is 0 or less: no clipping).
   */
  public static double coefficient(double norm, double maxNorm) {
    if (maxNorm <= 0) {
      return 1.0;
    }
    return Math.min(1.0, maxNorm / (norm + 1e-6));
  }

  private static List<NDArray> gradients(Collection<NDArray> parameters, NDManager scratch) {
    List<NDArray> grads = new ArrayList<>(parameters.size());
    for (NDArray p : parameters) {
      NDArray g = p.getGradient();
      g.attach(scratch); // a new handle on the gradient; freed with the scratch manager
      grads.add(g);
    }
    return grads;
  }
}
