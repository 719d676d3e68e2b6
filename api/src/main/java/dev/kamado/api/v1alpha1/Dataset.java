package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The training data. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!(has(self.evalUri) && has(self.evalFraction))",
    message = "set at most one of evalUri and evalFraction")
public class Dataset {
  @Required
  @Size(max = 1024)
  @Pattern(Patterns.STORAGE_URI)
  @ValidationRule(value = Patterns.NO_PARENT_SEGMENT_RULE, message = Patterns.NO_PARENT_SEGMENT_MESSAGE)
  @JsonPropertyDescription(
      "Training data: a JSON Lines file, or a folder whose *.jsonl (and, for format text, *.txt) files are read "
          + "in name order, as pvc://<claim>/<path>.")
  private String uri;

  @Required
  @JsonPropertyDescription("Record layout: chat (messages), completion (input/output pairs) or text.")
  private DatasetFormat format;

  @Size(max = 1024)
  @Pattern(Patterns.STORAGE_URI)
  @ValidationRule(value = Patterns.NO_PARENT_SEGMENT_RULE, message = Patterns.NO_PARENT_SEGMENT_MESSAGE)
  @JsonPropertyDescription("Evaluation data in the same format. When absent, evalFraction of the training data is held out.")
  private String evalUri;

  @Min(0)
  @Max(0.5)
  @JsonPropertyDescription("Fraction of the training data held out for evaluation when evalUri is absent (default 0.05).")
  private Double evalFraction;

  @Min(16)
  @Max(131072)
  @Default("2048")
  @JsonPropertyDescription("Maximum tokens per example, prompt and answer together.")
  private Integer maxSequenceLength;

  @Default("fail")
  @JsonPropertyDescription(
      "What to do with a malformed line, a missing field or an example longer than maxSequenceLength: fail the "
          + "run (default) or skip it and report it.")
  private InvalidExamplePolicy invalidExamples;

  @JsonPropertyDescription("Several examples per row, up to maxSequenceLength, with attention kept inside each example "
      + "(default: true for text, false for chat and completion, which are padded).")
  private Boolean packing;

  @JsonPropertyDescription("Without packing, micro-batches of examples of similar length, so that less padding is "
      + "computed (default true; as Hugging Face's group_by_length).")
  private Boolean groupByLength;

  public String getUri() {
    return uri;
  }

  public void setUri(String uri) {
    this.uri = uri;
  }

  public DatasetFormat getFormat() {
    return format;
  }

  public void setFormat(DatasetFormat format) {
    this.format = format;
  }

  public String getEvalUri() {
    return evalUri;
  }

  public void setEvalUri(String evalUri) {
    this.evalUri = evalUri;
  }

  public Double getEvalFraction() {
    return evalFraction;
  }

  public void setEvalFraction(Double evalFraction) {
    this.evalFraction = evalFraction;
  }

  public Integer getMaxSequenceLength() {
    return maxSequenceLength;
  }

  public void setMaxSequenceLength(Integer maxSequenceLength) {
    this.maxSequenceLength = maxSequenceLength;
  }

  public InvalidExamplePolicy getInvalidExamples() {
    return invalidExamples;
  }

  public void setInvalidExamples(InvalidExamplePolicy invalidExamples) {
    this.invalidExamples = invalidExamples;
  }

  public Boolean getPacking() {
    return packing;
  }

  public void setPacking(Boolean packing) {
    this.packing = packing;
  }

  public Boolean getGroupByLength() {
    return groupByLength;
  }

  public void setGroupByLength(Boolean groupByLength) {
    this.groupByLength = groupByLength;
  }
}
