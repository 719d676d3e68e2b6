package dev.kamado.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: data generation, evaluation, README table, and one-line errors for bad input. */
class MainTest {
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void generateThenEvaluatePerfectAndBrokenAnswers(@TempDir Path dir) throws IOException {
    assertThat(run("generate", "--out", dir.toString(), "--train", "20", "--validation", "2", "--test", "3",
        "--corpus-documents", "4", "--archive-inquiries", "6")).isZero();
    assertThat(Files.readAllLines(dir.resolve("test.jsonl"))).hasSize(3);
    assertThat(Files.readAllLines(dir.resolve("corpus.jsonl"))).hasSize(4);
    assertThat(Files.readAllLines(dir.resolve("archive.jsonl"))).hasSize(6)
        .allSatisfy(line -> assertThat(line).startsWith("{\"text\":\"Date: "));
    // Answers: the first test record verbatim, the second broken; the third left out.
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var records = Files.readAllLines(dir.resolve("records-test.jsonl"));
    var first = json.readTree(records.get(0));
    var second = json.readTree(records.get(1));
    Path answers = dir.resolve("answers.jsonl");
    Files.writeString(answers,
        json.createObjectNode().put("id", first.get("id").asText()).put("answer", first.get("record").toString())
            + "\n" + json.createObjectNode().put("id", second.get("id").asText()).put("answer", "{oops") + "\n");
    var out = new java.io.ByteArrayOutputStream();
    var saved = System.out;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(run("evaluate", "--records", dir.resolve("records-test.jsonl").toString(), "--answers",
          answers.toString())).isZero();
    } finally {
      System.setOut(saved);
    }
    var result = json.readTree(out.toString(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(result.get("count").asInt()).isEqualTo(2);
    assertThat(result.get("schema_valid_rate").asDouble()).isEqualTo(0.5);
    assertThat(result.get("field_accuracy").asDouble()).isEqualTo(0.5);
  }

  @Test
  void badInputGivesOneLineNamingTheFileAndLine(@TempDir Path dir) throws IOException {
    Path records = dir.resolve("records.jsonl");
    Files.writeString(records, "{\"id\":\"a\",\"record\":{\"language\":\"en\"}}\n");
    Path answers = dir.resolve("answers.jsonl");
    Files.writeString(answers, "{\"id\":\"a\"}\n");
    assertThat(run("evaluate", "--records", records.toString(), "--answers", answers.toString())).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("kamado-demo: " + records + " line 1: record breaks the triage schema: "
        + "/: missing required property 'category'" + System.lineSeparator());

    assertThat(run("generate", "--out", dir.toString(), "--train", "2", "--validation", "0", "--test", "1",
        "--corpus-documents", "1")).isZero();
    err.getBuffer().setLength(0);
    assertThat(run("evaluate", "--records", dir.resolve("records-test.jsonl").toString(), "--answers",
        answers.toString())).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("kamado-demo: " + answers + " line 1: missing field \"answer\""
        + System.lineSeparator());
  }

  @Test
  void runWithoutTheTrainerJarSaysHowToBuildIt(@TempDir Path dir) {
    assertThat(run("run", "--out", dir.toString(), "--train", "5", "--validation", "1", "--test", "1",
        "--corpus-documents", "2", "--trainer-jar", dir.resolve("trainer-image/target/kamado-trainer.jar")
            .toString())).isEqualTo(1);
    assertThat(err.toString()).contains("kamado-trainer.jar does not exist; build it first "
        + "(mvn -B -ntp package -DskipTests -pl trainer-image -am)").doesNotContain("Exception");
  }

  @Test
  void readmeTableWithoutAReportNamesIt(@TempDir Path dir) {
    assertThat(run("readme-table", "--report", dir.resolve("report.json").toString(), "--readme",
        dir.resolve("README.md").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("report.json: no such report (run the demo first: make demo)");
  }
}
