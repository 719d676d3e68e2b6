package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Optimisation settings. AdamW with warm-up then the chosen schedule. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!(has(self.warmupSteps) && has(self.warmupRatio))",
    message = "set at most one of warmupSteps and warmupRatio")
public class HyperParameters {
  @Min(1)
  @Max(1000)
  @Default("3")
  @JsonPropertyDescription("Passes over the training data. The run stops at whichever of epochs and maxSteps comes first.")
  private Integer epochs;

  @Min(1)
  @JsonPropertyDescription("Optimizer steps after which the run stops, whatever epochs says.")
  private Long maxSteps;

  @Min(1)
  @Max(4096)
  @Default("8")
  @JsonPropertyDescription("Examples per micro-batch on each GPU (or on the CPU).")
  private Integer batchSize;

  @Min(1)
  @Max(1024)
  @Default("1")
  @JsonPropertyDescription("Micro-batches whose gradients are summed before each optimizer step.")
  private Integer gradientAccumulationSteps;

  @Min(value = 0, inclusive = false)
  @Max(1)
  @Default("0.0002")
  @JsonPropertyDescription("Peak learning rate.")
  private Double learningRate;

  @Min(0)
  @Max(1)
  @Default("0.0")
  @JsonPropertyDescription("AdamW decoupled weight decay.")
  private Double weightDecay;

  @Min(0)
  @JsonPropertyDescription("Steps of linear warm-up from 0 to learningRate.")
  private Long warmupSteps;

  @Min(0)
  @Max(0.5)
  @JsonPropertyDescription("Warm-up as a fraction of the total steps (default 0.03 when warmupSteps is absent).")
  private Double warmupRatio;

  @Default("cosine")
  @JsonPropertyDescription("Learning rate after warm-up: cosine (default) or linear decay to 0, or constant.")
  private LearningRateSchedule schedule;

  @Min(0)
  @Default("1.0")
  @JsonPropertyDescription("Clip the global gradient norm to this value; 0 disables clipping.")
  private Double maxGradNorm;

  @Min(0)
  @Default("42")
  @JsonPropertyDescription("Seed of weight initialisation, dropout and data order. The same seed and data give the same run.")
  private Long seed;

  @Min(1)
  @JsonPropertyDescription("Evaluate on the evaluation split every this many steps (and always at the end).")
  private Long evalEverySteps;

  @Default("bf16")
  @JsonPropertyDescription("Computation precision on GPUs (fp32, bf16, fp16). CPUs compute in fp32.")
  private Precision precision;

  public Integer getEpochs() {
    return epochs;
  }

  public void setEpochs(Integer epochs) {
    this.epochs = epochs;
  }

  public Long getMaxSteps() {
    return maxSteps;
  }

  public void setMaxSteps(Long maxSteps) {
    this.maxSteps = maxSteps;
  }

  public Integer getBatchSize() {
    return batchSize;
  }

  public void setBatchSize(Integer batchSize) {
    this.batchSize = batchSize;
  }

  public Integer getGradientAccumulationSteps() {
    return gradientAccumulationSteps;
  }

  public void setGradientAccumulationSteps(Integer gradientAccumulationSteps) {
    this.gradientAccumulationSteps = gradientAccumulationSteps;
  }

  public Double getLearningRate() {
    return learningRate;
  }

  public void setLearningRate(Double learningRate) {
    this.learningRate = learningRate;
  }

  public Double getWeightDecay() {
    return weightDecay;
  }

  public void setWeightDecay(Double weightDecay) {
    this.weightDecay = weightDecay;
  }

  public Long getWarmupSteps() {
    return warmupSteps;
  }

  public void setWarmupSteps(Long warmupSteps) {
    this.warmupSteps = warmupSteps;
  }

  public Double getWarmupRatio() {
    return warmupRatio;
  }

  public void setWarmupRatio(Double warmupRatio) {
    this.warmupRatio = warmupRatio;
  }

  public LearningRateSchedule getSchedule() {
    return schedule;
  }

  public void setSchedule(LearningRateSchedule schedule) {
    this.schedule = schedule;
  }

  public Double getMaxGradNorm() {
    return maxGradNorm;
  }

  public void setMaxGradNorm(Double maxGradNorm) {
    this.maxGradNorm = maxGradNorm;
  }

  public Long getSeed() {
    return seed;
  }

  public void setSeed(Long seed) {
    this.seed = seed;
  }

  public Long getEvalEverySteps() {
    return evalEverySteps;
  }

  public void setEvalEverySteps(Long evalEverySteps) {
    this.evalEverySteps = evalEverySteps;
  }

  public Precision getPrecision() {
    return precision;
  }

  public void setPrecision(Precision precision) {
    this.precision = precision;
  }
}
