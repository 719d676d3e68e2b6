package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** The model a distillation run learns from. It must be served inside the cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Teacher {
  @Required
  @Size(max = 2048)
  @Pattern(Patterns.HTTP_URL)
  @JsonPropertyDescription(
      "Base URL of an OpenAI-compatible endpoint inside the cluster, for example "
          + "http://big-model.models.svc:8000/v1 (a Kamado ModelServer or any compatible server).")
  private String endpoint;

  @Size(max = 256)
  @JsonPropertyDescription("Model name to send in requests to the teacher; the endpoint's only model when absent.")
  private String model;

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getModel() {
    return model;
  }

  public void setModel(String model) {
    this.model = model;
  }
}
