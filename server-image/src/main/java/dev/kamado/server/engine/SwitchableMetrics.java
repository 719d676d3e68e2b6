package dev.kamado.server.engine;

/**
 * Engine metrics that are dropped until {@link #enable()}: the server's warm-up generations run through the engine
 * before it reports ready and must not show up in its request and token metrics.
 */
public final class SwitchableMetrics implements EngineMetrics {

  private final EngineMetrics target;
  private volatile boolean enabled;

  /** Metrics that forward to {@code target} once enabled. */
  public SwitchableMetrics(EngineMetrics target) {
    this.target = target;
  }

  /** Forwards every later event. */
  public void enable() {
    enabled = true;
  }

  @Override
  public void promptTokens(int count) {
    if (enabled) {
      target.promptTokens(count);
    }
  }

  @Override
  public void generatedToken(boolean first, double secondsSincePrevious) {
    if (enabled) {
      target.generatedToken(first, secondsSincePrevious);
    }
  }

  @Override
  public void finished(FinishReason reason, double secondsSinceArrival) {
    if (enabled) {
      target.finished(reason, secondsSinceArrival);
    }
  }
}
