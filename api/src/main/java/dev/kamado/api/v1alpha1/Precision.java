package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Number format of the training computation. */
public enum Precision {
  @JsonProperty("fp32")
  FP32,
  @JsonProperty("bf16")
  BF16,
  @JsonProperty("fp16")
  FP16
}
