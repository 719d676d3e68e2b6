package dev.kamado.operator.autoscale;

import java.time.Duration;

/**
 * What the autoscaler aims for, resolved from a ModelServer's spec with its defaults applied.
 *
 * @param minReplicas fewest replicas
 * @param maxReplicas most replicas
 * @param targetTokensPerSecondPerReplica generated tokens per second one replica should carry
 * @param waitingRequestsPerReplica waiting requests per replica above which one more replica is added
 * @param scaleUpWindow the lowest recommendation within this window is used to scale up (zero: at once)
 * @param scaleDownWindow the highest recommendation within this window is used to scale down
 */
public record ScalingSettings(
    int minReplicas,
    int maxReplicas,
    int targetTokensPerSecondPerReplica,
    int waitingRequestsPerReplica,
    Duration scaleUpWindow,
    Duration scaleDownWindow) {

  public ScalingSettings {
    if (minReplicas < 1 || maxReplicas < minReplicas) {
      throw new IllegalArgumentException("need 1 <= minReplicas <= maxReplicas, got " + minReplicas + " and "
          + maxReplicas);
    }
    if (targetTokensPerSecondPerReplica < 1) {
      throw new IllegalArgumentException("targetTokensPerSecondPerReplica must be at least 1");
    }
  }

  /** {@code replicas} within [minReplicas, maxReplicas]. */
  public int bound(int replicas) {
    return Math.max(minReplicas, Math.min(maxReplicas, replicas));
  }
}
