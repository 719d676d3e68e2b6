package dev.kamado.server.engine;

/** What the engine reports as it works; called on the engine thread. */
public interface EngineMetrics {

  /** A request's prompt was prefilled. */
  void promptTokens(int count);

  /**
   * A token was generated.
   *
   * @param first whether it is the request's first token
   * @param secondsSincePrevious seconds since the request arrived (first token) or since its previous token
   */
  void generatedToken(boolean first, double secondsSincePrevious);

  /** A request left the engine. */
  void finished(FinishReason reason, double secondsSinceArrival);

  /** Metrics that record nothing. */
  EngineMetrics NONE = new EngineMetrics() {
    @Override
    public void promptTokens(int count) {
    }

    @Override
    public void generatedToken(boolean first, double secondsSincePrevious) {
    }

    @Override
    public void finished(FinishReason reason, double secondsSinceArrival) {
    }
  };
}
