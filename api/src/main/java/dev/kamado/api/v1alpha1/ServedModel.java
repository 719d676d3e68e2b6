package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A model version as served by a ModelServer. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServedModel {
  @JsonPropertyDescription("Folder of the model.")
  private String uri;

  @JsonPropertyDescription("sha256 digest of the model, when known (always for models produced by a FineTuneJob).")
  private String digest;

  @JsonPropertyDescription("The FineTuneJob that produced it, when the model came from one.")
  private String fineTuneJob;

  @JsonPropertyDescription("Ready replicas serving this version.")
  private Integer readyReplicas;

  public String getUri() {
    return uri;
  }

  public void setUri(String uri) {
    this.uri = uri;
  }

  public String getDigest() {
    return digest;
  }

  public void setDigest(String digest) {
    this.digest = digest;
  }

  public String getFineTuneJob() {
    return fineTuneJob;
  }

  public void setFineTuneJob(String fineTuneJob) {
    this.fineTuneJob = fineTuneJob;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }
}
