package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Generation settings used when a request does not set them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GenerationDefaults {
  @Min(1)
  @Max(131072)
  @Default("512")
  @JsonPropertyDescription("Tokens generated at most per answer.")
  private Integer maxTokens;

  @Min(0)
  @Max(2)
  @Default("0.0")
  @JsonPropertyDescription("Sampling temperature; 0 is greedy and gives the same answer every time.")
  private Double temperature;

  @Min(value = 0, inclusive = false)
  @Max(1)
  @Default("1.0")
  @JsonPropertyDescription("Nucleus sampling: sample from the smallest set of tokens whose probability reaches topP.")
  private Double topP;

  @Size(max = 4)
  @JsonPropertyDescription("Strings at which generation stops (at most 4, as in the OpenAI API).")
  private List<@Size(min = 1, max = 64) String> stop;

  public Integer getMaxTokens() {
    return maxTokens;
  }

  public void setMaxTokens(Integer maxTokens) {
    this.maxTokens = maxTokens;
  }

  public Double getTemperature() {
    return temperature;
  }

  public void setTemperature(Double temperature) {
    this.temperature = temperature;
  }

  public Double getTopP() {
    return topP;
  }

  public void setTopP(Double topP) {
    this.topP = topP;
  }

  public List<String> getStop() {
    return stop;
  }

  public void setStop(List<String> stop) {
    this.stop = stop;
  }
}
