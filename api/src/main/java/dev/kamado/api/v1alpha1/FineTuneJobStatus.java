package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed of a FineTuneJob. Written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FineTuneJobStatus {
  @JsonPropertyDescription("Pending, Queued, Running, Succeeded, Failed or Suspended.")
  private FineTuneJobPhase phase;

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Conditions keyed by type: Ready, BaseModelResolved, PodScheduled, Running, Complete, Failed, Suspended.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Name of the batch/v1 Job that runs the trainer.")
  private String jobName;

  @JsonPropertyDescription("When training first started (RFC 3339). From then on the spec is immutable, except suspend.")
  private String startTime;

  @JsonPropertyDescription("When the job succeeded or failed (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription("Live training figures.")
  private TrainingProgress progress;

  @JsonPropertyDescription("The newest complete checkpoint, which a restarted pod resumes from.")
  private CheckpointStatus latestCheckpoint;

  @JsonPropertyDescription("Times the training pod was restarted (failures and disruptions).")
  private Integer restarts;

  @JsonPropertyDescription("The base model actually used: its URI and digest, resolved from spec.baseModel.")
  private ModelVersion baseModel;

  @JsonPropertyDescription("The produced model, set when the job has succeeded.")
  private ModelVersion model;

  public FineTuneJobPhase getPhase() {
    return phase;
  }

  public void setPhase(FineTuneJobPhase phase) {
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

  public String getJobName() {
    return jobName;
  }

  public void setJobName(String jobName) {
    this.jobName = jobName;
  }

  public String getStartTime() {
    return startTime;
  }

  public void setStartTime(String startTime) {
    this.startTime = startTime;
  }

  public String getCompletionTime() {
    return completionTime;
  }

  public void setCompletionTime(String completionTime) {
    this.completionTime = completionTime;
  }

  public TrainingProgress getProgress() {
    return progress;
  }

  public void setProgress(TrainingProgress progress) {
    this.progress = progress;
  }

  public CheckpointStatus getLatestCheckpoint() {
    return latestCheckpoint;
  }

  public void setLatestCheckpoint(CheckpointStatus latestCheckpoint) {
    this.latestCheckpoint = latestCheckpoint;
  }

  public Integer getRestarts() {
    return restarts;
  }

  public void setRestarts(Integer restarts) {
    this.restarts = restarts;
  }

  public ModelVersion getBaseModel() {
    return baseModel;
  }

  public void setBaseModel(ModelVersion baseModel) {
    this.baseModel = baseModel;
  }

  public ModelVersion getModel() {
    return model;
  }

  public void setModel(ModelVersion model) {
    this.model = model;
  }
}
