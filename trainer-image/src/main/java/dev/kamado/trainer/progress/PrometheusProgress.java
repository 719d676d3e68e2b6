package dev.kamado.trainer.progress;

import dev.kamado.api.training.ProgressReport;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The progress figures as Prometheus gauges on {@code http://HOST:PORT/metrics}: {@code kamado_training_step},
 * {@code kamado_training_total_steps}, {@code kamado_training_epoch}, {@code kamado_training_loss},
 * {@code kamado_training_eval_loss}, {@code kamado_training_learning_rate}, {@code kamado_training_tokens_per_second},
 * {@code kamado_training_eta_seconds} and {@code kamado_training_checkpoint_step}.
 */
public final class PrometheusProgress implements ProgressSink {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Gauge step = gauge("kamado_training_step", "Optimizer steps done.");
  private final Gauge total = gauge("kamado_training_total_steps", "Optimizer steps of the whole run.");
  private final Gauge epoch = gauge("kamado_training_epoch", "Fractional epoch.");
  private final Gauge loss = gauge("kamado_training_loss", "Training loss over the last interval.");
  private final Gauge evalLoss = gauge("kamado_training_eval_loss", "Loss at the last evaluation.");
  private final Gauge lr = gauge("kamado_training_learning_rate", "Current learning rate.");
  private final Gauge tps = gauge("kamado_training_tokens_per_second", "Training tokens per second, last interval.");
  private final Gauge eta = gauge("kamado_training_eta_seconds", "Estimated seconds to the end of the run.");
  private final Gauge checkpoint = gauge("kamado_training_checkpoint_step", "Step of the newest checkpoint.");
  private final HTTPServer server;

  /** Starts the endpoint on {@code port} (0 picks a free one). */
  public PrometheusProgress(int port) {
    try {
      server = HTTPServer.builder().port(port).registry(registry).buildAndStart();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the metrics endpoint on port " + port, e);
    }
  }

  private Gauge gauge(String name, String help) {
    return Gauge.builder().name(name).help(help).register(registry);
  }

  /** The port the endpoint listens on. */
  public int port() {
    return server.getPort();
  }

  @Override
  public void report(ProgressReport r) {
    step.set(r.step());
    total.set(r.totalSteps());
    setIfPresent(epoch, r.epoch());
    setIfPresent(loss, r.loss());
    setIfPresent(evalLoss, r.evalLoss());
    setIfPresent(lr, r.learningRate());
    setIfPresent(tps, r.tokensPerSecond());
    if (r.etaSeconds() != null) {
      eta.set(r.etaSeconds());
    }
    if (r.checkpoint() != null) {
      checkpoint.set(r.checkpoint().step());
    }
  }

  private static void setIfPresent(Gauge g, Double v) {
    if (v != null) {
      g.set(v);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
