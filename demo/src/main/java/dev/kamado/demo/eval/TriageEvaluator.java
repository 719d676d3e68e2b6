package dev.kamado.demo.eval;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.demo.data.TriageRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Scores model answers against the correct records: is the answer JSON, does it follow the schema, which structured
 * fields match exactly ({@code systems} compared as a set), and how close the summary is (chrF).
 *
 * <p>An answer that does not parse as JSON (or has text after the JSON) counts as schema-invalid with every field
 * wrong and an empty summary. An answer that parses but breaks the schema is still scored field by field.
 */
public final class TriageEvaluator {
  /** The structured fields field accuracy averages over: every field but the free-text summary. */
  public static final List<String> FIELDS = List.of("language", "category", "department", "urgency", "requester",
      "due_date", "systems");

  private static final ObjectMapper STRICT = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SchemaChecker checker;

  public TriageEvaluator(JsonNode schema) {
    this.checker = new SchemaChecker(schema);
  }

  /** One answer's score. */
  public ScoredAnswer score(TriageRecord expected, String answer) {
    JsonNode parsed;
    try {
      parsed = STRICT.readTree(answer);
    } catch (JsonProcessingException e) {
      Map<String, Boolean> none = new LinkedHashMap<>();
      FIELDS.forEach(f -> none.put(f, false));
      return new ScoredAnswer(false, false, List.of("not JSON: " + e.getOriginalMessage()), none, "");
    }
    if (parsed == null || parsed.isMissingNode()) {
      Map<String, Boolean> none = new LinkedHashMap<>();
      FIELDS.forEach(f -> none.put(f, false));
      return new ScoredAnswer(false, false, List.of("empty answer"), none, "");
    }
    List<String> violations = checker.violations(parsed);
    JsonNode want = JSON.valueToTree(expected);
    Map<String, Boolean> matches = new LinkedHashMap<>();
    for (String field : FIELDS) {
      JsonNode got = parsed.get(field);
      boolean match = got != null && (field.equals("systems") ? sameSet(want.get(field), got)
          : want.get(field).equals(got));
      matches.put(field, match);
    }
    String summary = parsed.path("summary").isTextual() ? parsed.get("summary").asText() : "";
    return new ScoredAnswer(true, violations.isEmpty(), violations, matches, summary);
  }

  /** Scores every answer; {@code answers.get(i)} answers {@code expected.get(i)}. */
  public EvaluationResult evaluate(List<TriageRecord> expected, List<String> answers) {
    if (expected.size() != answers.size() || expected.isEmpty()) {
      throw new IllegalArgumentException("evaluation needs one answer per record and at least one record; got "
          + answers.size() + " answers for " + expected.size() + " records");
    }
    int valid = 0;
    Map<String, Integer> correct = new LinkedHashMap<>();
    FIELDS.forEach(f -> correct.put(f, 0));
    List<String> hypotheses = new ArrayList<>();
    List<String> references = new ArrayList<>();
    List<ScoredAnswer> scored = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      ScoredAnswer s = score(expected.get(i), answers.get(i));
      scored.add(s);
      valid += s.schemaValid() ? 1 : 0;
      s.fieldMatches().forEach((f, ok) -> correct.merge(f, ok ? 1 : 0, Integer::sum));
      hypotheses.add(s.summary());
      references.add(expected.get(i).summary());
    }
    int n = expected.size();
    Map<String, Double> byField = new LinkedHashMap<>();
    double sum = 0;
    for (String f : FIELDS) {
      double acc = correct.get(f) / (double) n;
      byField.put(f, acc);
      sum += acc;
    }
    return new EvaluationResult(n, valid / (double) n, sum / FIELDS.size(), byField,
        ChrF.standard().corpusScore(hypotheses, references), scored);
  }

  private static boolean sameSet(JsonNode want, JsonNode got) {
    if (!got.isArray()) {
      return false;
    }
    Set<JsonNode> a = new HashSet<>();
    want.forEach(a::add);
    Set<JsonNode> b = new HashSet<>();
    got.forEach(b::add);
    return a.equals(b);
  }

  /** One answer's score: parsed as JSON, valid under the schema (with the violations), per-field matches. */
  public record ScoredAnswer(boolean parsed, boolean schemaValid, List<String> violations,
      Map<String, Boolean> fieldMatches, String summary) {}

  /**
   * Scores over a test set.
   *
   * @param count answers scored
   * @param schemaValidRate share of answers that parse and validate
   * @param fieldAccuracy mean of {@code fieldAccuracyByField}
   * @param fieldAccuracyByField exact-match rate per structured field
   * @param summaryChrf corpus chrF of the summaries (0..100)
   * @param answers each answer's score, in order
   */
  public record EvaluationResult(int count, double schemaValidRate, double fieldAccuracy,
      Map<String, Double> fieldAccuracyByField, double summaryChrf, List<ScoredAnswer> answers) {}
}
