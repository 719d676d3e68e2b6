package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * When checkpoints are written. They go to {@code <output.uri>/checkpoints/step-N}, written atomically, and a
 * restarted pod resumes from the newest complete one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CheckpointPolicy {
  @Min(1)
  @Default("500")
  @JsonPropertyDescription("Write a checkpoint every this many optimizer steps (and at the end).")
  private Long everySteps;

  @Min(1)
  @Max(100)
  @Default("2")
  @JsonPropertyDescription("Keep this many newest checkpoints; older ones are deleted after a newer one is complete.")
  private Integer keep;

  public Long getEverySteps() {
    return everySteps;
  }

  public void setEverySteps(Long everySteps) {
    this.everySteps = everySteps;
  }

  public Integer getKeep() {
    return keep;
  }

  public void setKeep(Integer keep) {
    this.keep = keep;
  }
}
