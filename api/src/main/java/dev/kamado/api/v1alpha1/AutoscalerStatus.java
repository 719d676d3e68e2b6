package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** The autoscaler's latest reading and decision. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AutoscalerStatus {
  @JsonPropertyDescription("Where the figures came from: prometheus or pods (scraping /metrics directly).")
  private String source;

  @JsonPropertyDescription("Generated tokens per second, summed over the ready replicas.")
  private Double tokensPerSecond;

  @JsonPropertyDescription("Requests waiting for a batch slot, summed over the ready replicas.")
  private Double waitingRequests;

  @JsonPropertyDescription("Replicas the latest reading alone asks for.")
  private Integer recommendedReplicas;

  @JsonPropertyDescription("Replicas decided after bounds and stabilisation windows.")
  private Integer desiredReplicas;

  @JsonPropertyDescription("Why: for example 'scale up: 950 tokens/s over target 200/replica'.")
  private String lastDecision;

  @JsonPropertyDescription("When the figures were read (RFC 3339).")
  private String lastReadTime;

  @JsonPropertyDescription("When the replica count last changed (RFC 3339).")
  private String lastScaleTime;

  @Size(max = 256)
  @JsonPropertyDescription(
      "Recommendations still inside a stabilisation window, oldest first, so that the windows survive a restart of "
          + "the operator.")
  private List<ReplicaRecommendation> recommendations;

  public String getSource() {
    return source;
  }

  public void setSource(String source) {
    this.source = source;
  }

  public Double getTokensPerSecond() {
    return tokensPerSecond;
  }

  public void setTokensPerSecond(Double tokensPerSecond) {
    this.tokensPerSecond = tokensPerSecond;
  }

  public Double getWaitingRequests() {
    return waitingRequests;
  }

  public void setWaitingRequests(Double waitingRequests) {
    this.waitingRequests = waitingRequests;
  }

  public Integer getRecommendedReplicas() {
    return recommendedReplicas;
  }

  public void setRecommendedReplicas(Integer recommendedReplicas) {
    this.recommendedReplicas = recommendedReplicas;
  }

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }

  public String getLastDecision() {
    return lastDecision;
  }

  public void setLastDecision(String lastDecision) {
    this.lastDecision = lastDecision;
  }

  public String getLastReadTime() {
    return lastReadTime;
  }

  public void setLastReadTime(String lastReadTime) {
    this.lastReadTime = lastReadTime;
  }

  public String getLastScaleTime() {
    return lastScaleTime;
  }

  public void setLastScaleTime(String lastScaleTime) {
    this.lastScaleTime = lastScaleTime;
  }

  public List<ReplicaRecommendation> getRecommendations() {
    return recommendations;
  }

  public void setRecommendations(List<ReplicaRecommendation> recommendations) {
    this.recommendations = recommendations;
  }
}
