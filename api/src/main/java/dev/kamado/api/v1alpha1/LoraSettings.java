package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** LoRA adapter settings, as in PEFT's LoraConfig. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LoraSettings {
  @Min(1)
  @Max(1024)
  @Default("16")
  @JsonPropertyDescription("Rank r of the low-rank update.")
  private Integer rank;

  @Min(1)
  @Max(4096)
  @Default("32")
  @JsonPropertyDescription("Scaling alpha; the update is scaled by alpha / rank.")
  private Integer alpha;

  @Min(0)
  @Max(value = 1, inclusive = false)
  @Default("0.05")
  @JsonPropertyDescription("Dropout on the adapter input during training.")
  private Double dropout;

  @Size(min = 1, max = 16)
  @ValidationRule(
      value = "self.all(m, m in ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'])",
      message = "target modules must be among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj")
  @JsonPropertyDescription(
      "Linear layers that get adapters, by their Hugging Face Llama names "
          + "(q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj). Default: all of them.")
  private List<@Size(max = 32) String> targetModules;

  @Default("false")
  @JsonPropertyDescription("Also write the base model with the adapter merged in, for serving without the adapter.")
  private Boolean merge;

  public Integer getRank() {
    return rank;
  }

  public void setRank(Integer rank) {
    this.rank = rank;
  }

  public Integer getAlpha() {
    return alpha;
  }

  public void setAlpha(Integer alpha) {
    this.alpha = alpha;
  }

  public Double getDropout() {
    return dropout;
  }

  public void setDropout(Double dropout) {
    this.dropout = dropout;
  }

  public List<String> getTargetModules() {
    return targetModules;
  }

  public void setTargetModules(List<String> targetModules) {
    this.targetModules = targetModules;
  }

  public Boolean getMerge() {
    return merge;
  }

  public void setMerge(Boolean merge) {
    this.merge = merge;
  }
}
