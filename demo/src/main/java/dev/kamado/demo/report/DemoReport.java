package dev.kamado.demo.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code target/demo/report.json}: the demo's evidence, with exactly the keys the demo's specification names.
 * Accuracy figures are the fine-tuned model's, on its short prompt; latency and throughput are measured on the same
 * server for both prompt styles.
 *
 * @param schemaValidRate share of test answers that parse and validate against the schema
 * @param fieldAccuracy mean exact-match rate over the structured fields (every field but summary)
 * @param fieldAccuracyByField exact-match rate per structured field
 * @param summaryChrf chrF of the summaries against the references (0..100)
 * @param trainSeconds wall time of training (continued pre-training plus fine-tuning)
 * @param promptTokensFinetuned mean prompt tokens per request with the trained model's short prompt
 * @param promptTokensFewshot mean prompt tokens per request with the instruction + schema + examples prompt
 * @param p50LatencyMsFinetuned median request latency, short prompts
 * @param p50LatencyMsFewshot median request latency, few-shot prompts
 * @param throughputRequestsPerSecondFinetuned requests per second, short prompts
 * @param throughputRequestsPerSecondFewshot requests per second, few-shot prompts
 * @param deterministic the same test set at different concurrency and on two server processes gave byte-identical
 *     answers
 */
@JsonPropertyOrder({"schema_valid_rate", "field_accuracy", "field_accuracy_by_field", "summary_chrf", "train_seconds",
    "prompt_tokens_finetuned", "prompt_tokens_fewshot", "p50_latency_ms_finetuned", "p50_latency_ms_fewshot",
    "throughput_requests_per_second_finetuned", "throughput_requests_per_second_fewshot", "deterministic"})
public record DemoReport(
    @JsonProperty("schema_valid_rate") double schemaValidRate,
    @JsonProperty("field_accuracy") double fieldAccuracy,
    @JsonProperty("field_accuracy_by_field") Map<String, Double> fieldAccuracyByField,
    @JsonProperty("summary_chrf") double summaryChrf,
    @JsonProperty("train_seconds") double trainSeconds,
    @JsonProperty("prompt_tokens_finetuned") double promptTokensFinetuned,
    @JsonProperty("prompt_tokens_fewshot") double promptTokensFewshot,
    @JsonProperty("p50_latency_ms_finetuned") double p50LatencyMsFinetuned,
    @JsonProperty("p50_latency_ms_fewshot") double p50LatencyMsFewshot,
    @JsonProperty("throughput_requests_per_second_finetuned") double throughputRequestsPerSecondFinetuned,
    @JsonProperty("throughput_requests_per_second_fewshot") double throughputRequestsPerSecondFewshot,
    @JsonProperty("deterministic") boolean deterministic) {

  /** The keys of report.json, in order. */
  public static final List<String> KEYS = List.of("schema_valid_rate", "field_accuracy", "field_accuracy_by_field",
      "summary_chrf", "train_seconds", "prompt_tokens_finetuned", "prompt_tokens_fewshot", "p50_latency_ms_finetuned",
      "p50_latency_ms_fewshot", "throughput_requests_per_second_finetuned", "throughput_requests_per_second_fewshot",
      "deterministic");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public DemoReport {
    fieldAccuracyByField = new LinkedHashMap<>(fieldAccuracyByField);
  }

  /** How many times longer the few-shot prompt is than the trained model's prompt. */
  public double promptLengthRatio() {
    return promptTokensFewshot / promptTokensFinetuned;
  }

  /** Writes the report as indented JSON. */
  public void write(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, JSON.writeValueAsString(this) + "\n");
  }

  /** Reads a report.json; fails naming the file and the problem. */
  public static DemoReport read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such report (run the demo first: make demo)");
    }
    try {
      DemoReport r = JSON.readValue(file.toFile(), DemoReport.class);
      if (r.fieldAccuracyByField() == null) {
        throw new IOException(file + ": field_accuracy_by_field is missing");
      }
      return r;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(file + ": not a demo report: " + e.getOriginalMessage(), e);
    }
  }
}
