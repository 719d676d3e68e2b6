package dev.kamado.trainer.progress;

import dev.kamado.api.training.ProgressReport;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One readable line per report, for example
 * {@code step 120/1000 (12%) epoch 0.36 loss 2.3412 lr 1.98e-04 tokens/s 5321 eta 0:12:34}.
 */
public final class ProgressLine implements ProgressSink {
  private static final Logger LOG = LoggerFactory.getLogger("dev.kamado.trainer.progress");

  @Override
  public void report(ProgressReport r) {
    LOG.info(format(r));
  }

  /** The line for a report. */
  public static String format(ProgressReport r) {
    StringBuilder sb = new StringBuilder(128);
    sb.append("step ").append(r.step()).append('/').append(r.totalSteps());
    if (r.totalSteps() > 0) {
      sb.append(" (").append(r.step() * 100 / r.totalSteps()).append("%)");
    }
    if (r.epoch() != null) {
      sb.append(String.format(Locale.ROOT, " epoch %.2f", r.epoch()));
    }
    if (r.loss() != null) {
      sb.append(String.format(Locale.ROOT, " loss %.4f", r.loss()));
    }
    if (r.evalLoss() != null) {
      sb.append(String.format(Locale.ROOT, " eval_loss %.4f", r.evalLoss()));
    }
    if (r.learningRate() != null) {
      sb.append(String.format(Locale.ROOT, " lr %.3e", r.learningRate()));
    }
    if (r.tokensPerSecond() != null) {
      sb.append(String.format(Locale.ROOT, " tokens/s %.0f", r.tokensPerSecond()));
    }
    if (r.etaSeconds() != null) {
      long s = r.etaSeconds();
      sb.append(String.format(Locale.ROOT, " eta %d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60));
    }
    if (r.checkpoint() != null) {
      sb.append(" checkpoint ").append(r.checkpoint().path());
    }
    return sb.toString();
  }
}
