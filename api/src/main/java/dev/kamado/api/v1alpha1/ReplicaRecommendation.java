package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A replica count the autoscaler recommended at one reading. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReplicaRecommendation {
  @JsonPropertyDescription("When the reading was taken (RFC 3339).")
  private String time;

  @JsonPropertyDescription("Replicas that reading alone asked for.")
  private Integer replicas;

  public ReplicaRecommendation() {}

  public ReplicaRecommendation(String time, Integer replicas) {
    this.time = time;
    this.replicas = replicas;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }
}
