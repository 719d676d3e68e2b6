package dev.kamado.api.training;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a running trainer reports, as JSON under {@link TrainerContract#PROGRESS_KEY}. The operator copies it into
 * the FineTuneJob's status.
 *
 * @param step optimizer steps done
 * @param totalSteps steps the run takes in all
 * @param epoch fractional epoch
 * @param loss training loss over the last interval
 * @param evalLoss loss at the last evaluation
 * @param learningRate current learning rate
 * @param tokensPerSecond training tokens per second over the last interval
 * @param etaSeconds estimated seconds to the end
 * @param time when this was reported (RFC 3339)
 * @param checkpoint the newest complete checkpoint, if any
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProgressReport(
    long step,
    long totalSteps,
    Double epoch,
    Double loss,
    Double evalLoss,
    Double learningRate,
    Double tokensPerSecond,
    Long etaSeconds,
    String time,
    Checkpoint checkpoint) {

  /** A complete checkpoint; {@code path} is relative to the output folder, for example {@code checkpoints/step-200}. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Checkpoint(long step, String path, String time) {}
}
