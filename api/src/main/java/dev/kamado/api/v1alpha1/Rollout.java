package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * How a new model version or configuration is rolled out. Serving capacity never drops: new pods must be ready
 * before old ones go (maxUnavailable is always 0).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Rollout {
  @Min(1)
  @Max(100)
  @Default("1")
  @JsonPropertyDescription("New pods started at a time above the current replica count during a rollout.")
  private Integer maxSurge;

  @Min(30)
  @Default("900")
  @JsonPropertyDescription(
      "Seconds a rollout may take (model loading included) before it is reported as failed; the old version "
          + "keeps serving.")
  private Integer progressDeadlineSeconds;

  @Min(0)
  @Max(3600)
  @Default("60")
  @JsonPropertyDescription("Seconds a stopping pod gets to finish the requests in flight.")
  private Integer terminationGracePeriodSeconds;

  public Integer getMaxSurge() {
    return maxSurge;
  }

  public void setMaxSurge(Integer maxSurge) {
    this.maxSurge = maxSurge;
  }

  public Integer getProgressDeadlineSeconds() {
    return progressDeadlineSeconds;
  }

  public void setProgressDeadlineSeconds(Integer progressDeadlineSeconds) {
    this.progressDeadlineSeconds = progressDeadlineSeconds;
  }

  public Integer getTerminationGracePeriodSeconds() {
    return terminationGracePeriodSeconds;
  }

  public void setTerminationGracePeriodSeconds(Integer terminationGracePeriodSeconds) {
    this.terminationGracePeriodSeconds = terminationGracePeriodSeconds;
  }
}
