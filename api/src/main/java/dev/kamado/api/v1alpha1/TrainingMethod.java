package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Which weights a FineTuneJob trains. */
public enum TrainingMethod {
  /** Low-rank adapters on the target modules; base weights frozen. Output in the PEFT adapter layout. */
  @JsonProperty("lora")
  LORA,
  /** Every weight is trained. */
  @JsonProperty("full")
  FULL
}
