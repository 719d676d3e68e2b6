package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Shape of the learning rate after warm-up. */
public enum LearningRateSchedule {
  @JsonProperty("cosine")
  COSINE,
  @JsonProperty("linear")
  LINEAR,
  @JsonProperty("constant")
  CONSTANT
}
