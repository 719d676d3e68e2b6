package dev.kamado.trainer.progress;

import dev.kamado.api.training.ProgressReport;

/** Somewhere progress goes: the log, the Prometheus endpoint, the operator's ConfigMap. */
public interface ProgressSink extends AutoCloseable {

  /** Publishes one report. Must not throw for delivery problems: log them and carry on. */
  void report(ProgressReport report);

  /** Stops the sink, delivering what is pending when that is cheap. */
  @Override
  default void close() {}
}
