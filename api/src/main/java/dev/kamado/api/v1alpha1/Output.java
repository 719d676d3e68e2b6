package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the produced model and the checkpoints are written. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Output {
  @Required
  @Size(max = 1024)
  @Pattern(Patterns.STORAGE_URI)
  @ValidationRule(value = Patterns.NO_PARENT_SEGMENT_RULE, message = Patterns.NO_PARENT_SEGMENT_MESSAGE)
  @JsonPropertyDescription(
      "Folder that receives the model (Hugging Face layout plus kamado-manifest.json) and checkpoints/, "
          + "as pvc://<claim>/<path>. The claim is mounted read-write.")
  private String uri;

  public String getUri() {
    return uri;
  }

  public void setUri(String uri) {
    this.uri = uri;
  }
}
