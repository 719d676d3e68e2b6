package dev.kamado.server.engine;

/**
 * Scheduling limits of the engine.
 *
 * @param maxRunning most sequences decoded together
 * @param maxWaiting most requests waiting for a slot; more are refused
 * @param maxPrefillTokensPerStep prompt tokens admitted per step before the running batch decodes again (at least
 *     one request is admitted per step whatever its length)
 */
public record EngineSettings(int maxRunning, int maxWaiting, int maxPrefillTokensPerStep) {

  /** Checks the limits. */
  public EngineSettings {
    if (maxRunning < 1 || maxWaiting < 1 || maxPrefillTokensPerStep < 1) {
      throw new IllegalArgumentException("engine limits must be positive: max running " + maxRunning
          + ", max waiting " + maxWaiting + ", max prefill tokens per step " + maxPrefillTokensPerStep);
    }
  }
}
