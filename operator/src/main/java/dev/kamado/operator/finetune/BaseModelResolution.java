package dev.kamado.operator.finetune;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.ModelVersion;

/** The outcome of resolving a FineTuneJob's {@code spec.baseModel}. */
public sealed interface BaseModelResolution {
  /** The base model is known. */
  record Resolved(ResolvedBaseModel model) implements BaseModelResolution {}

  /** Waiting for the referenced FineTuneJob; the reason and message go into a condition. */
  record Waiting(String reason, String message) implements BaseModelResolution {}

  /** The referenced FineTuneJob failed, so this one cannot start. */
  record Impossible(String reason, String message) implements BaseModelResolution {}

  /** Resolves a source against the referenced FineTuneJob as found in the cache ({@code null} when absent). */
  static BaseModelResolution resolve(ModelSource source, FineTuneJob referenced) {
    if (source.getUri() != null) {
      return new Resolved(new ResolvedBaseModel(source.getUri(), null, null));
    }
    String name = source.getFineTuneJobRef().getName();
    if (referenced == null) {
      return new Waiting("BaseModelNotFound", "FineTuneJob " + name + " does not exist (yet)");
    }
    var status = referenced.getStatus();
    FineTuneJobPhase phase = status == null ? null : status.getPhase();
    if (phase == FineTuneJobPhase.Failed) {
      return new Impossible("BaseModelFailed", "FineTuneJob " + name + " failed, so its model will never exist");
    }
    ModelVersion model = status == null ? null : status.getModel();
    if (phase != FineTuneJobPhase.Succeeded || model == null || model.getUri() == null) {
      return new Waiting("WaitingForBaseModel",
          "waiting for FineTuneJob " + name + " to succeed (it is " + (phase == null ? "new" : phase) + ")");
    }
    return new Resolved(new ResolvedBaseModel(model.getUri(), model.getDigest(), name));
  }
}
