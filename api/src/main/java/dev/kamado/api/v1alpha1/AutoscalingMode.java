package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Who sets a ModelServer's replica count. */
public enum AutoscalingMode {
  /** The operator, from generated tokens per second and waiting requests, between minReplicas and maxReplicas. */
  @JsonProperty("tokens")
  TOKENS,
  /** An HPA or KEDA through the scale subresource (spec.replicas), bounded by minReplicas and maxReplicas. */
  @JsonProperty("external")
  EXTERNAL
}
