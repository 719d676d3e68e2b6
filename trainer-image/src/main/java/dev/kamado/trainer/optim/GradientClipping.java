package dev.kamado.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/**
 * Clipping by global norm, as {@code torch.nn.utils.clip_grad_norm_}: the L2 norm over all gradients together; when
 * it exceeds {@code maxNorm}, every gradient is scaled in place by {@code maxNorm / (norm + 1e-6)}.
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
      double sumSquares = 0;
      NDArray[] grads = new NDArray[parameters.size()];
      int i = 0;
      for (NDArray p : parameters) {
        NDArray g = p.getGradient();
        g.attach(scratch);
        grads[i++] = g;
        // square().sum() rather than norm(): DJL 0.36's norm() with no axes reads uninitialised memory natively
        // (results change under MALLOC_PERTURB_), which broke bitwise reproducibility.
        sumSquares += g.square().sum().getFloat();
      }
      double total = Math.sqrt(sumSquares);
      if (maxNorm > 0) {
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1.0) {
          for (NDArray g : grads) {
            g.muli(coefficient);
          }
        }
      }
      return total;
    }
  }
}
