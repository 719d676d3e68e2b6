package dev.kamado.trainer;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kamado.api.v1alpha1.ModelVersion;
import java.util.Map;

/**
 * {@code kamado-manifest.json}: the {@link dev.kamado.api.training.TrainingResult} fields ({@code model}) plus how the
 * model was made ({@code run}). Readers that know only TrainingResult ignore {@code run}.
 *
 * @param model the produced model version (URI, digests, eval metrics)
 * @param run lineage and figures of the run
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(ModelVersion model, Run run) {

  /**
   * How the model was made.
   *
   * @param name run name
   * @param objective sft or continued-pretraining
   * @param method full or lora
   * @param layout what the output folder holds: "model" (full weights) or "peft-adapter" (plus "merged/" when merged)
   * @param datasetUri the training data
   * @param settings every resolved setting (hyper-parameters, LoRA, lengths)
   * @param steps optimizer steps done
   * @param trainExamples training examples (after skipping)
   * @param evalExamples evaluation examples
   * @param trainTokens tokens seen in training (padding excluded)
   * @param skippedExamples skipped dataset lines per reason
   * @param resumedFromStep the step the last process resumed from (0 for a fresh run)
   * @param trainerVersion version of the trainer
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Run(String name, String objective, String method, String layout, String datasetUri,
      Map<String, Object> settings, long steps, int trainExamples, int evalExamples, long trainTokens,
      Map<String, Integer> skippedExamples, long resumedFromStep, String trainerVersion) {}
}
