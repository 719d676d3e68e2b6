package dev.kamado.api.v1alpha1;

/** Coarse state of a FineTuneJob; the conditions say why. */
public enum FineTuneJobPhase {
  /** Accepted; waiting for its base model or for its pod to be scheduled. */
  Pending,
  /** Waiting in a Kueue queue for admission. */
  Queued,
  /** A training pod is running. */
  Running,
  /** The model was produced; status.model describes it. */
  Succeeded,
  /** Gave up; the Failed condition says why. */
  Failed,
  /** spec.suspend is true; checkpoints are kept. */
  Suspended
}
