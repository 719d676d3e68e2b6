package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** What to train, on which data, how, and on what hardware. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.objective == 'distillation' ? has(self.teacher) : !has(self.teacher)",
    message = "teacher is required with objective distillation and only allowed with it",
    fieldPath = ".teacher")
@ValidationRule(
    value = "self.objective != 'continued-pretraining' || self.dataset.format == 'text'",
    message = "objective continued-pretraining needs dataset.format text",
    fieldPath = ".dataset.format")
@ValidationRule(
    value = "self.objective == 'continued-pretraining' || self.dataset.format != 'text'",
    message = "dataset.format text is only for objective continued-pretraining; sft and distillation need chat or completion",
    fieldPath = ".dataset.format")
public class FineTuneJobSpec {
  @Required
  @JsonPropertyDescription(
      "sft (supervised fine-tuning on chat or completion examples), continued-pretraining (on text), or "
          + "distillation (from spec.teacher).")
  private Objective objective;

  @Required
  @JsonPropertyDescription("The model to start from: a URI, or the model produced by another FineTuneJob.")
  private ModelSource baseModel;

  @Required
  @JsonPropertyDescription("The training (and optionally evaluation) data.")
  private Dataset dataset;

  @JsonPropertyDescription("The teacher model; required with objective distillation, not allowed otherwise.")
  private Teacher teacher;

  @Required
  @JsonPropertyDescription("LoRA adapters or full fine-tuning.")
  private Method method;

  @Default("{}")
  @JsonPropertyDescription("Optimisation settings; every field has a default.")
  private HyperParameters hyperParameters;

  @Default("{}")
  @JsonPropertyDescription("GPUs, CPU and memory of the training pod.")
  private ComputeResources resources;

  @JsonPropertyDescription("Node selection, tolerations, affinity, priority and Kueue queue of the training pod.")
  private Scheduling scheduling;

  @JsonPropertyDescription("Extra labels and annotations for the pods.")
  private PodMetadata podMetadata;

  @Default("{}")
  @JsonPropertyDescription("How often checkpoints are written and how many are kept.")
  private CheckpointPolicy checkpoint;

  @Required
  @JsonPropertyDescription("Where the model and checkpoints are written.")
  private Output output;

  @Size(max = 512)
  @JsonPropertyDescription("Trainer container image; the operator's configured default when absent.")
  private String image;

  @Min(0)
  @Max(100)
  @Default("3")
  @JsonPropertyDescription(
      "Pod failures tolerated before the job is marked Failed. Disruptions (preemption, node drain) do not count; "
          + "invalid input (trainer exit code 3) fails at once.")
  private Integer backoffLimit;

  @Min(1)
  @JsonPropertyDescription("Seconds the job may run in total, across restarts, before it is stopped and marked Failed.")
  private Long activeDeadlineSeconds;

  @Default("false")
  @JsonPropertyDescription(
      "true stops the training pods and keeps the checkpoints; false again resumes from the latest checkpoint. "
          + "The only field that may change once the job has started.")
  private Boolean suspend;

  public Objective getObjective() {
    return objective;
  }

  public void setObjective(Objective objective) {
    this.objective = objective;
  }

  public ModelSource getBaseModel() {
    return baseModel;
  }

  public void setBaseModel(ModelSource baseModel) {
    this.baseModel = baseModel;
  }

  public Dataset getDataset() {
    return dataset;
  }

  public void setDataset(Dataset dataset) {
    this.dataset = dataset;
  }

  public Teacher getTeacher() {
    return teacher;
  }

  public void setTeacher(Teacher teacher) {
    this.teacher = teacher;
  }

  public Method getMethod() {
    return method;
  }

  public void setMethod(Method method) {
    this.method = method;
  }

  public HyperParameters getHyperParameters() {
    return hyperParameters;
  }

  public void setHyperParameters(HyperParameters hyperParameters) {
    this.hyperParameters = hyperParameters;
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

  public CheckpointPolicy getCheckpoint() {
    return checkpoint;
  }

  public void setCheckpoint(CheckpointPolicy checkpoint) {
    this.checkpoint = checkpoint;
  }

  public Output getOutput() {
    return output;
  }

  public void setOutput(Output output) {
    this.output = output;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public Integer getBackoffLimit() {
    return backoffLimit;
  }

  public void setBackoffLimit(Integer backoffLimit) {
    this.backoffLimit = backoffLimit;
  }

  public Long getActiveDeadlineSeconds() {
    return activeDeadlineSeconds;
  }

  public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) {
    this.activeDeadlineSeconds = activeDeadlineSeconds;
  }

  public Boolean getSuspend() {
    return suspend;
  }

  public void setSuspend(Boolean suspend) {
    this.suspend = suspend;
  }
}
