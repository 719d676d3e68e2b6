package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Scaling on token throughput. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Autoscaling {
  @Default("tokens")
  @JsonPropertyDescription(
      "tokens: the operator scales on generated tokens per second (default). external: an HPA or KEDA sets "
          + "spec.replicas through the scale subresource.")
  private AutoscalingMode mode;

  @Min(1)
  @Default("200")
  @JsonPropertyDescription("Generated tokens per second that one replica should carry; desired replicas = ceil(total / target).")
  private Integer targetTokensPerSecondPerReplica;

  @Min(0)
  @Default("2")
  @JsonPropertyDescription("Waiting (not yet running) requests per replica above which one more replica is added.")
  private Integer waitingRequestsPerReplica;

  @Min(0)
  @Max(3600)
  @Default("0")
  @JsonPropertyDescription("Seconds over which the lowest recommendation is used before scaling up (0: at once).")
  private Integer scaleUpStabilizationSeconds;

  @Min(0)
  @Max(3600)
  @Default("300")
  @JsonPropertyDescription("Seconds over which the highest recommendation is used before scaling down, so that load dips do not flap.")
  private Integer scaleDownStabilizationSeconds;

  public AutoscalingMode getMode() {
    return mode;
  }

  public void setMode(AutoscalingMode mode) {
    this.mode = mode;
  }

  public Integer getTargetTokensPerSecondPerReplica() {
    return targetTokensPerSecondPerReplica;
  }

  public void setTargetTokensPerSecondPerReplica(Integer targetTokensPerSecondPerReplica) {
    this.targetTokensPerSecondPerReplica = targetTokensPerSecondPerReplica;
  }

  public Integer getWaitingRequestsPerReplica() {
    return waitingRequestsPerReplica;
  }

  public void setWaitingRequestsPerReplica(Integer waitingRequestsPerReplica) {
    this.waitingRequestsPerReplica = waitingRequestsPerReplica;
  }

  public Integer getScaleUpStabilizationSeconds() {
    return scaleUpStabilizationSeconds;
  }

  public void setScaleUpStabilizationSeconds(Integer scaleUpStabilizationSeconds) {
    this.scaleUpStabilizationSeconds = scaleUpStabilizationSeconds;
  }

  public Integer getScaleDownStabilizationSeconds() {
    return scaleDownStabilizationSeconds;
  }

  public void setScaleDownStabilizationSeconds(Integer scaleDownStabilizationSeconds) {
    this.scaleDownStabilizationSeconds = scaleDownStabilizationSeconds;
  }
}
