package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.Map;

/**
 * Extra labels and annotations for the pods the operator creates, for example to opt out of a service mesh
 * ({@code sidecar.istio.io/inject: "false"}) or to tell the cluster autoscaler a pod is safe to evict. Kamado's own
 * labels win over these.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodMetadata {
  @Size(max = 64)
  @JsonPropertyDescription("Labels added to the pods.")
  private Map<String, String> labels;

  @Size(max = 64)
  @JsonPropertyDescription("Annotations added to the pods.")
  private Map<String, String> annotations;

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }
}
