package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** Which model to serve, how many replicas, and how answers are shaped. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.minReplicas <= self.maxReplicas",
    message = "minReplicas must not exceed maxReplicas",
    fieldPath = ".minReplicas")
@ValidationRule(
    value = "!has(self.replicas) || (self.replicas >= self.minReplicas && self.replicas <= self.maxReplicas)",
    message = "replicas must lie between minReplicas and maxReplicas",
    fieldPath = ".replicas")
@ValidationRule(
    value = "!has(self.autoscaling) || !has(self.autoscaling.mode) || self.autoscaling.mode != 'external' "
        + "|| has(self.replicas)",
    message = "autoscaling.mode external needs spec.replicas: the scale subresource that an HPA or KEDA uses reads "
        + "and writes it",
    fieldPath = ".replicas")
public class ModelServerSpec {
  @Required
  @JsonPropertyDescription("The model to serve: a URI, or the model produced by a FineTuneJob.")
  private ModelSource model;

  @Min(1)
  @Max(1000)
  @Default("1")
  @JsonPropertyDescription("Fewest replicas.")
  private Integer minReplicas;

  @Min(1)
  @Max(1000)
  @Default("1")
  @JsonPropertyDescription("Most replicas.")
  private Integer maxReplicas;

  @SpecReplicas
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription(
      "Replica count set through the scale subresource by an HPA or KEDA, used with autoscaling.mode external. "
          + "Leave it unset otherwise: with mode tokens the operator keeps the count on the Deployment and in status.")
  private Integer replicas;

  @Default("{}")
  @JsonPropertyDescription("Scaling on generated tokens per second.")
  private Autoscaling autoscaling;

  @PreserveUnknownFields
  @JsonPropertyDescription(
      "JSON Schema that every answer must satisfy, enforced token by token while decoding. A request's own "
          + "response_format takes precedence.")
  private JsonNode responseSchema;

  @Default("{}")
  @JsonPropertyDescription("Generation settings used when a request does not set them.")
  private GenerationDefaults generation;

  @Default("{}")
  @JsonPropertyDescription("Batching and queueing of each replica.")
  private EngineSettings engine;

  @Default("{}")
  @JsonPropertyDescription("GPUs, CPU and memory of each replica.")
  private ComputeResources resources;

  @JsonPropertyDescription("Node selection, tolerations, affinity and priority of the replicas.")
  private Scheduling scheduling;

  @JsonPropertyDescription("Extra labels and annotations for the pods.")
  private PodMetadata podMetadata;

  @Default("{}")
  @JsonPropertyDescription("How a new model version or configuration is rolled out.")
  private Rollout rollout;

  @Size(max = 512)
  @JsonPropertyDescription("Inference server container image; the operator's configured default when absent.")
  private String image;

  public ModelSource getModel() {
    return model;
  }

  public void setModel(ModelSource model) {
    this.model = model;
  }

  public Integer getMinReplicas() {
    return minReplicas;
  }

  public void setMinReplicas(Integer minReplicas) {
    this.minReplicas = minReplicas;
  }

  public Integer getMaxReplicas() {
    return maxReplicas;
  }

  public void setMaxReplicas(Integer maxReplicas) {
    this.maxReplicas = maxReplicas;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Autoscaling getAutoscaling() {
    return autoscaling;
  }

  public void setAutoscaling(Autoscaling autoscaling) {
    this.autoscaling = autoscaling;
  }

  public JsonNode getResponseSchema() {
    return responseSchema;
  }

  public void setResponseSchema(JsonNode responseSchema) {
    this.responseSchema = responseSchema;
  }

  public GenerationDefaults getGeneration() {
    return generation;
  }

  public void setGeneration(GenerationDefaults generation) {
    this.generation = generation;
  }

  public EngineSettings getEngine() {
    return engine;
  }

  public void setEngine(EngineSettings engine) {
    this.engine = engine;
  }

  public ComputeResources getResources() {
    return resources;
  }

  public void setResources(ComputeResources resources) {
    this.resources = resources;
  }

  public Scheduling getScheduling() {
    return scheduling;
  }

  public void setScheduling(Scheduling scheduling) {
    this.scheduling = scheduling;
  }

  public PodMetadata getPodMetadata() {
    return podMetadata;
  }

  public void setPodMetadata(PodMetadata podMetadata) {
    this.podMetadata = podMetadata;
  }

  public Rollout getRollout() {
    return rollout;
  }

  public void setRollout(Rollout rollout) {
    this.rollout = rollout;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }
}
