package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The newest complete checkpoint. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CheckpointStatus {
  @JsonPropertyDescription("Optimizer step the checkpoint was taken after.")
  private Long step;

  @JsonPropertyDescription("Where it lies, for example pvc://models/triage/checkpoints/step-1500.")
  private String uri;

  @JsonPropertyDescription("When it was completed (RFC 3339).")
  private String time;

  public Long getStep() {
    return step;
  }

  public void setStep(Long step) {
    this.step = step;
  }

  public String getUri() {
    return uri;
  }

  public void setUri(String uri) {
    this.uri = uri;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }
}
