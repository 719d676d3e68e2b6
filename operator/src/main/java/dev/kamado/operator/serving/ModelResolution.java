package dev.kamado.operator.serving;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.ModelSource;

/** Which model a ModelServer should serve now, or why it cannot say yet. */
public sealed interface ModelResolution {
  /** The model to serve. */
  record Resolved(ServedVersion version) implements ModelResolution {}

  /** Not yet known (the FineTuneJob is still running or does not exist yet); it may resolve later. */
  record Waiting(String reason, String message) implements ModelResolution {}

  /** Will not resolve without a spec change: the FineTuneJob failed. */
  record Unresolvable(String reason, String message) implements ModelResolution {}

  /**
   * Resolves a model source. {@code job} is the referenced FineTuneJob as read now, or null when it does not exist
   * (ignored for a URI source).
   */
  static ModelResolution resolve(ModelSource source, FineTuneJob job) {
    if (source.getUri() != null) {
      return new Resolved(new ServedVersion(source.getUri(), null, null));
    }
    String name = source.getFineTuneJobRef().getName();
    if (job == null) {
      return new Waiting("FineTuneJobNotFound", "FineTuneJob " + name + " does not exist (yet)");
    }
    var status = job.getStatus();
    FineTuneJobPhase phase = status == null ? null : status.getPhase();
    if (phase == FineTuneJobPhase.Succeeded && status.getModel() != null && status.getModel().getUri() != null) {
      return new Resolved(new ServedVersion(status.getModel().getUri(), status.getModel().getDigest(), name));
    }
    if (phase == FineTuneJobPhase.Failed) {
      return new Unresolvable("FineTuneJobFailed", "FineTuneJob " + name + " failed, so it produced no model");
    }
    String progress = status == null || status.getProgress() == null || status.getProgress().getPercent() == null
        ? "" : ", " + status.getProgress().getPercent() + "% done";
    return new Waiting("WaitingForFineTuneJob", "waiting for FineTuneJob " + name + " to succeed (it is "
        + (phase == null ? "not started" : phase.name()) + progress + ")");
  }
}
