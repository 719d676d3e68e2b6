package dev.kamado.operator.autoscale;

import java.util.List;

/**
 * The outcome of one evaluation.
 *
 * @param desiredReplicas replicas to run from now on
 * @param recommendedReplicas what the reading alone asked for (bounded); null when there was no usable reading
 * @param recommendations the window state to keep for the next evaluation, oldest first
 * @param kind what was decided
 * @param message the decision with its figures, for status and Events
 */
public record ScalingDecision(
    int desiredReplicas,
    Integer recommendedReplicas,
    List<Recommendation> recommendations,
    Kind kind,
    String message) {

  /** What an evaluation decided. */
  public enum Kind {
    SCALE_UP,
    SCALE_DOWN,
    /** The replica count stays (steady load, a scale-down waiting for its window, or missing figures). */
    HOLD
  }

  public boolean changesReplicas() {
    return kind != Kind.HOLD;
  }
}
