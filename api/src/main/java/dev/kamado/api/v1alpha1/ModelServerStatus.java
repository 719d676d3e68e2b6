package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed of a ModelServer. Written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelServerStatus {
  @JsonPropertyDescription("Pending, Progressing, Ready, Degraded or Failed.")
  private ModelServerPhase phase;

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Conditions keyed by type: Ready, Progressing, ModelResolved.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The model version being served (the target of a rollout in progress).")
  private ServedModel model;

  @JsonPropertyDescription("The version still serving while a rollout to status.model is in progress.")
  private ServedModel previousModel;

  @StatusReplicas
  @JsonPropertyDescription("Replicas that exist.")
  private Integer replicas;

  @JsonPropertyDescription("Replicas that are ready to serve.")
  private Integer readyReplicas;

  @JsonPropertyDescription("Replicas the autoscaler (or spec.replicas in external mode) asks for.")
  private Integer desiredReplicas;

  @LabelSelector
  @JsonPropertyDescription("Label selector of the replicas' pods, for the scale subresource.")
  private String selector;

  @JsonPropertyDescription("In-cluster base URL of the OpenAI-compatible API, for example http://triage.apps.svc:8000/v1.")
  private String endpoint;

  @JsonPropertyDescription("The autoscaler's latest reading and decision.")
  private AutoscalerStatus autoscaler;

  public ModelServerPhase getPhase() {
    return phase;
  }

  public void setPhase(ModelServerPhase phase) {
    this.phase = phase;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public ServedModel getModel() {
    return model;
  }

  public void setModel(ServedModel model) {
    this.model = model;
  }

  public ServedModel getPreviousModel() {
    return previousModel;
  }

  public void setPreviousModel(ServedModel previousModel) {
    this.previousModel = previousModel;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }

  public String getSelector() {
    return selector;
  }

  public void setSelector(String selector) {
    this.selector = selector;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public AutoscalerStatus getAutoscaler() {
    return autoscaler;
  }

  public void setAutoscaler(AutoscalerStatus autoscaler) {
    this.autoscaler = autoscaler;
  }
}
