package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Batching and queueing of each inference server replica. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EngineSettings {
  @Min(1)
  @Max(1024)
  @Default("16")
  @JsonPropertyDescription("Requests decoded together in one batch (continuous batching).")
  private Integer maxBatchSize;

  @Min(0)
  @Max(100000)
  @Default("64")
  @JsonPropertyDescription("Requests that may wait for a batch slot; beyond that the server answers 429 with Retry-After.")
  private Integer maxWaitingRequests;

  @Min(16)
  @Max(131072)
  @JsonPropertyDescription("Longest prompt plus answer in tokens; the model's max_position_embeddings when absent.")
  private Integer maxContextLength;

  public Integer getMaxBatchSize() {
    return maxBatchSize;
  }

  public void setMaxBatchSize(Integer maxBatchSize) {
    this.maxBatchSize = maxBatchSize;
  }

  public Integer getMaxWaitingRequests() {
    return maxWaitingRequests;
  }

  public void setMaxWaitingRequests(Integer maxWaitingRequests) {
    this.maxWaitingRequests = maxWaitingRequests;
  }

  public Integer getMaxContextLength() {
    return maxContextLength;
  }

  public void setMaxContextLength(Integer maxContextLength) {
    this.maxContextLength = maxContextLength;
  }
}
