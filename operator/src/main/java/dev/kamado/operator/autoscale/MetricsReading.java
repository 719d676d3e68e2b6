package dev.kamado.operator.autoscale;

/** What a metrics source saw of one ModelServer's ready replicas at one moment. */
public sealed interface MetricsReading {
  /** Where the figures came from: {@code prometheus} or {@code pods}. */
  String source();

  /**
   * Figures summed over the replicas that reported.
   *
   * @param tokensPerSecond generated tokens per second
   * @param waitingRequests requests waiting for a batch slot
   * @param replicasRead ready replicas whose figures are included
   * @param readyReplicas ready replicas there were; fewer read means the figures are a lower bound
   */
  record Figures(String source, double tokensPerSecond, double waitingRequests, int replicasRead, int readyReplicas)
      implements MetricsReading {
    /** Whether every ready replica reported, so the figures are the whole load rather than a lower bound. */
    public boolean complete() {
      return replicasRead >= readyReplicas;
    }
  }

  /** No usable figures, and why (nothing is decided on missing figures). */
  record Missing(String source, String reason) implements MetricsReading {}
}
