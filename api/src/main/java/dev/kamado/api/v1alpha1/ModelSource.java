package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where a model comes from: a storage URI, or the model produced by a FineTuneJob. Exactly one is set. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.uri) != has(self.fineTuneJobRef)",
    message = "exactly one of uri or fineTuneJobRef must be set")
public class ModelSource {
  @Size(max = 1024)
  @Pattern(Patterns.STORAGE_URI)
  @ValidationRule(value = Patterns.NO_PARENT_SEGMENT_RULE, message = Patterns.NO_PARENT_SEGMENT_MESSAGE)
  @JsonPropertyDescription(
      "Location of a model folder in Hugging Face layout (config.json, tokenizer.json, model.safetensors), "
          + "as pvc://<claim>/<path> in this namespace.")
  private String uri;

  @JsonPropertyDescription(
      "A FineTuneJob in this namespace whose produced model is used. The operator waits until that job has "
          + "succeeded, then uses the model URI and digest from its status.")
  private ObjectRef fineTuneJobRef;

  public ModelSource() {}

  public static ModelSource ofUri(String uri) {
    ModelSource source = new ModelSource();
    source.setUri(uri);
    return source;
  }

  public static ModelSource ofFineTuneJob(String name) {
    ModelSource source = new ModelSource();
    source.setFineTuneJobRef(new ObjectRef(name));
    return source;
  }

  public String getUri() {
    return uri;
  }

  public void setUri(String uri) {
    this.uri = uri;
  }

  public ObjectRef getFineTuneJobRef() {
    return fineTuneJobRef;
  }

  public void setFineTuneJobRef(ObjectRef fineTuneJobRef) {
    this.fineTuneJobRef = fineTuneJobRef;
  }
}
