package dev.kamado.api.v1alpha1;

/** Coarse state of a ModelServer; the conditions say why. */
public enum ModelServerPhase {
  /** Waiting for its model (for example for a FineTuneJob to succeed). */
  Pending,
  /** Replicas are starting or a rollout is in progress. */
  Progressing,
  /** Every desired replica serves the desired model. */
  Ready,
  /** Serving, but with fewer ready replicas than desired or with a stuck rollout. */
  Degraded,
  /** Cannot serve: the model cannot be resolved or no replica becomes ready. */
  Failed
}
