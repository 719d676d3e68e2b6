package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Map;

/** A model produced by a FineTuneJob: where it is, what it is made of, and how well it did. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelVersion {
  @JsonPropertyDescription("Folder of the model, for example pvc://models/triage/v1.")
  private String uri;

  @JsonPropertyDescription("sha256 digest of the model (over its weight and configuration files), as sha256:<hex>.")
  private String digest;

  @JsonPropertyDescription("URI of the base model the run started from.")
  private String baseModelUri;

  @JsonPropertyDescription("sha256 digest of the base model.")
  private String baseModelDigest;

  @JsonPropertyDescription("sha256 digest of the training data.")
  private String datasetDigest;

  @JsonPropertyDescription("Evaluation figures at the end of the run, for example eval_loss and eval_perplexity.")
  private Map<String, Double> evalMetrics;

  @JsonPropertyDescription("When the model was written (RFC 3339).")
  private String createTime;

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

  public String getBaseModelUri() {
    return baseModelUri;
  }

  public void setBaseModelUri(String baseModelUri) {
    this.baseModelUri = baseModelUri;
  }

  public String getBaseModelDigest() {
    return baseModelDigest;
  }

  public void setBaseModelDigest(String baseModelDigest) {
    this.baseModelDigest = baseModelDigest;
  }

  public String getDatasetDigest() {
    return datasetDigest;
  }

  public void setDatasetDigest(String datasetDigest) {
    this.datasetDigest = datasetDigest;
  }

  public Map<String, Double> getEvalMetrics() {
    return evalMetrics;
  }

  public void setEvalMetrics(Map<String, Double> evalMetrics) {
    this.evalMetrics = evalMetrics;
  }

  public String getCreateTime() {
    return createTime;
  }

  public void setCreateTime(String createTime) {
    this.createTime = createTime;
  }
}
