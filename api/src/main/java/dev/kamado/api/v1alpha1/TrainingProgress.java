package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Live figures reported by the running trainer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TrainingProgress {
  @JsonPropertyDescription("Optimizer steps done.")
  private Long step;

  @JsonPropertyDescription("Optimizer steps the run will take in all.")
  private Long totalSteps;

  @JsonPropertyDescription("Fractional epoch, for example 1.25.")
  private Double epoch;

  @JsonPropertyDescription("Training loss, averaged over the last logging interval.")
  private Double loss;

  @JsonPropertyDescription("Loss on the evaluation split at the last evaluation.")
  private Double evalLoss;

  @JsonPropertyDescription("Learning rate at the current step.")
  private Double learningRate;

  @JsonPropertyDescription("Training tokens processed per second over the last interval.")
  private Double tokensPerSecond;

  @JsonPropertyDescription("step / totalSteps as a whole percentage.")
  private Integer percent;

  @JsonPropertyDescription("Estimated seconds until the run ends.")
  private Long etaSeconds;

  @JsonPropertyDescription("When the trainer reported these figures (RFC 3339).")
  private String updateTime;

  public Long getStep() {
    return step;
  }

  public void setStep(Long step) {
    this.step = step;
  }

  public Long getTotalSteps() {
    return totalSteps;
  }

  public void setTotalSteps(Long totalSteps) {
    this.totalSteps = totalSteps;
  }

  public Double getEpoch() {
    return epoch;
  }

  public void setEpoch(Double epoch) {
    this.epoch = epoch;
  }

  public Double getLoss() {
    return loss;
  }

  public void setLoss(Double loss) {
    this.loss = loss;
  }

  public Double getEvalLoss() {
    return evalLoss;
  }

  public void setEvalLoss(Double evalLoss) {
    this.evalLoss = evalLoss;
  }

  public Double getLearningRate() {
    return learningRate;
  }

  public void setLearningRate(Double learningRate) {
    this.learningRate = learningRate;
  }

  public Double getTokensPerSecond() {
    return tokensPerSecond;
  }

  public void setTokensPerSecond(Double tokensPerSecond) {
    this.tokensPerSecond = tokensPerSecond;
  }

  public Integer getPercent() {
    return percent;
  }

  public void setPercent(Integer percent) {
    this.percent = percent;
  }

  public Long getEtaSeconds() {
    return etaSeconds;
  }

  public void setEtaSeconds(Long etaSeconds) {
    this.etaSeconds = etaSeconds;
  }

  public String getUpdateTime() {
    return updateTime;
  }

  public void setUpdateTime(String updateTime) {
    this.updateTime = updateTime;
  }
}
