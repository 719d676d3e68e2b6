package dev.kamado.api.training;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.HyperParameters;
import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.api.v1alpha1.LoraSettings;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.Teacher;
import dev.kamado.api.v1alpha1.TrainingMethod;

/**
 * The resolved training configuration the operator writes to {@code training.json} for the trainer: every
 * location is both the user's URI and the path where it is mounted in the pod, and every default is filled in.
 *
 * @param version format version of this file, {@value #VERSION}
 * @param name the FineTuneJob's name, used in the model's lineage
 * @param objective what to train for
 * @param baseModel the model to start from
 * @param dataset the training data
 * @param teacher the teacher endpoint, with objective distillation only
 * @param method full fine-tuning or LoRA
 * @param lora LoRA settings, with method lora only
 * @param hyperParameters optimisation settings, defaults filled in by the API server
 * @param checkpoint where and how often to checkpoint
 * @param output where the model goes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingConfig(
    int version,
    String name,
    Objective objective,
    ModelLocation baseModel,
    DatasetConfig dataset,
    Teacher teacher,
    TrainingMethod method,
    LoraSettings lora,
    HyperParameters hyperParameters,
    CheckpointConfig checkpoint,
    ModelLocation output) {

  public static final int VERSION = 1;

  /** A model folder: the URI the user gave, its path in the pod, and its digest when known. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ModelLocation(String uri, String path, String digest) {}

  /** The dataset with its paths in the pod. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatasetConfig(
      String uri,
      String path,
      DatasetFormat format,
      String evalUri,
      String evalPath,
      Double evalFraction,
      Integer maxSequenceLength,
      InvalidExamplePolicy invalidExamples,
      Boolean packing,
      Boolean groupByLength) {}

  /** Checkpoints: written under {@code path} every {@code everySteps} steps, the newest {@code keep} kept. */
  public record CheckpointConfig(String path, long everySteps, int keep) {}
}
