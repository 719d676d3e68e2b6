package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** How the model is trained: LoRA adapters or full fine-tuning. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.type == 'lora' ? has(self.lora) : !has(self.lora)",
    message = "lora settings are required with type lora (lora: {} takes the defaults) and only allowed with it",
    fieldPath = ".lora")
public class Method {
  @Required
  @JsonPropertyDescription("lora (adapters on a frozen base) or full (every weight trained).")
  private TrainingMethod type;

  @JsonPropertyDescription("LoRA settings; required with type lora and only allowed with it. lora: {} takes every default.")
  private LoraSettings lora;

  public TrainingMethod getType() {
    return type;
  }

  public void setType(TrainingMethod type) {
    this.type = type;
  }

  public LoraSettings getLora() {
    return lora;
  }

  public void setLora(LoraSettings lora) {
    this.lora = lora;
  }
}
