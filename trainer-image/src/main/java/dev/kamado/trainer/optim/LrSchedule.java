package dev.kamado.trainer.optim;

import dev.kamado.api.v1alpha1.LearningRateSchedule;

/**
 * Learning rate per optimizer step: linear warm-up from 0 to the peak over {@code warmupSteps}, then cosine or
 * linear decay to 0 at {@code totalSteps}, or constant. The same formulas as Hugging Face transformers'
 * {@code get_cosine_schedule_with_warmup} / {@code get_linear_schedule_with_warmup} /
 * {@code get_constant_schedule_with_warmup}; the rate used for optimizer step {@code s} (0-based) is
 * {@link #at(long) at(s)}. A pure function of the step, so resuming needs only the step number.
 *
 * @param peak the learning rate after warm-up
 * @param warmupSteps steps of linear warm-up
 * @param totalSteps optimizer steps of the whole run
 * @param kind what follows warm-up
 */
public record LrSchedule(double peak, long warmupSteps, long totalSteps, LearningRateSchedule kind) {

  /** Checks the values. */
  public LrSchedule {
    if (!(peak > 0) || Double.isInfinite(peak)) {
      throw new IllegalArgumentException("learningRate must be positive, got " + peak);
    }
    if (warmupSteps < 0 || totalSteps < 1) {
      throw new IllegalArgumentException("warm-up steps must be >= 0 and total steps >= 1");
    }
  }

  /** The learning rate for the 0-based optimizer step {@code step}. */
  public double at(long step) {
    if (step < warmupSteps) {
      return peak * (double) step / Math.max(1, warmupSteps);
    }
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    switch (kind) {
      case CONSTANT:
        return peak;
      case LINEAR:
        return peak * Math.max(0.0, 1.0 - progress);
      default:
        return peak * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
    }
  }
}
