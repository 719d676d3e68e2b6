package dev.kamado.demo.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.demo.data.DatasetFiles;
import dev.kamado.demo.data.TriageRecord;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scoring of hand-made answers, including broken ones. */
class TriageEvaluatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TriageRecord EXPECTED = new TriageRecord("en", "account_access", "sales", "high",
      "Emily Clark", "2026-12-01", List.of("Outlook", "VPN"), "Outlook account locked, needs unlock");

  private final TriageEvaluator evaluator;

  TriageEvaluatorTest() throws IOException {
    evaluator = new TriageEvaluator(JSON.readTree(DatasetFiles.schemaText()));
  }

  @Test
  void perfectAnswerMatchesEveryField() {
    TriageEvaluator.ScoredAnswer s = evaluator.score(EXPECTED, EXPECTED.toJson());
    assertThat(s.parsed()).isTrue();
    assertThat(s.schemaValid()).isTrue();
    assertThat(s.fieldMatches()).containsOnlyKeys(TriageEvaluator.FIELDS).doesNotContainValue(false);
  }

  @Test
  void systemsAreComparedAsASetAndKeyOrderDoesNotMatter() {
    String answer = "{\"systems\":[\"VPN\",\"Outlook\"],\"summary\":\"x\",\"language\":\"en\",\"category\":"
        + "\"account_access\",\"department\":\"sales\",\"urgency\":\"high\",\"requester\":\"Emily Clark\","
        + "\"due_date\":\"2026-12-01\"}";
    TriageEvaluator.ScoredAnswer s = evaluator.score(EXPECTED, answer);
    assertThat(s.schemaValid()).isTrue();
    assertThat(s.fieldMatches()).doesNotContainValue(false);
  }

  @Test
  void invalidJsonCountsAsInvalidWithEveryFieldWrong() {
    for (String broken : List.of("{\"language\":\"en\",", "not json at all", "", EXPECTED.toJson() + " trailing",
        EXPECTED.toJson() + EXPECTED.toJson())) {
      TriageEvaluator.ScoredAnswer s = evaluator.score(EXPECTED, broken);
      assertThat(s.parsed()).as(broken).isFalse();
      assertThat(s.schemaValid()).isFalse();
      assertThat(s.fieldMatches()).as(broken).doesNotContainValue(true);
      assertThat(s.summary()).isEmpty();
    }
  }

  @Test
  void schemaViolationsAreNamedAndFieldsStillScored() {
    String answer = EXPECTED.toJson().replace("\"high\"", "\"urgent\"").replace("\"2026-12-01\"", "\"Dec 1\"")
        .replace("}", ",\"extra\":1}");
    TriageEvaluator.ScoredAnswer s = evaluator.score(EXPECTED, answer);
    assertThat(s.parsed()).isTrue();
    assertThat(s.schemaValid()).isFalse();
    assertThat(s.violations()).anyMatch(v -> v.startsWith("/urgency: \"urgent\" is not one of"))
        .anyMatch(v -> v.startsWith("/due_date: matches none of the anyOf"))
        .anyMatch(v -> v.equals("/extra: property not allowed"));
    assertThat(s.fieldMatches()).containsEntry("urgency", false).containsEntry("due_date", false)
        .containsEntry("category", true).containsEntry("systems", true);
  }

  @Test
  void missingFieldsAndWrongTypesAreViolations() {
    TriageEvaluator.ScoredAnswer s = evaluator.score(EXPECTED, "{\"language\":\"en\",\"systems\":\"Outlook\"}");
    assertThat(s.schemaValid()).isFalse();
    assertThat(s.violations()).contains("/: missing required property 'category'")
        .anyMatch(v -> v.startsWith("/systems: expected \"array\""));
    assertThat(s.fieldMatches()).containsEntry("language", true).containsEntry("systems", false)
        .containsEntry("category", false);
  }

  @Test
  void evaluationAveragesFieldsAndScoresSummariesWithChrF() {
    TriageRecord other = new TriageRecord("ja", "expense", "finance", "normal", "田中 美咲", null, List.of(),
        "経費精算の差し戻し");
    String otherWrongDepartment = other.toJson().replace("\"finance\"", "\"legal\"");
    TriageEvaluator.EvaluationResult r = evaluator.evaluate(List.of(EXPECTED, other, EXPECTED),
        List.of(EXPECTED.toJson(), otherWrongDepartment, "garbage"));
    assertThat(r.count()).isEqualTo(3);
    assertThat(r.schemaValidRate()).isCloseTo(2 / 3.0, within(1e-12));
    assertThat(r.fieldAccuracyByField().get("department")).isCloseTo(1 / 3.0, within(1e-12));
    assertThat(r.fieldAccuracyByField().get("category")).isCloseTo(2 / 3.0, within(1e-12));
    // 7 fields: answer 1 all right (7), answer 2 six right, answer 3 none -> 13 / 21.
    assertThat(r.fieldAccuracy()).isCloseTo(13 / 21.0, within(1e-12));
    double chrf = ChrF.standard().corpusScore(List.of(EXPECTED.summary(), other.summary(), ""),
        List.of(EXPECTED.summary(), other.summary(), EXPECTED.summary()));
    assertThat(r.summaryChrf()).isCloseTo(chrf, within(1e-9)).isLessThan(100).isGreaterThan(50);
  }

  @Test
  void unsupportedSchemaKeywordIsRefusedWithItsLocation() throws IOException {
    assertThatThrownBy(() -> new SchemaChecker(JSON.readTree(
        "{\"type\":\"object\",\"properties\":{\"a\":{\"oneOf\":[]}}}")))
        .hasMessage("schema keyword 'oneOf' at '/properties/a' is not supported");
  }
}
