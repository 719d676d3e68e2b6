package dev.kamado.demo.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** report.json's keys, the tables made from it, the README block and the SVG charts. */
class ReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static DemoReport sample() {
    Map<String, Double> byField = new LinkedHashMap<>();
    for (String f : List.of("language", "category", "department", "urgency", "requester", "due_date", "systems")) {
      byField.put(f, 0.97);
    }
    return new DemoReport(1.0, 0.97, byField, 71.25, 312.4, 88.5, 1234.0, 410.0, 1650.0, 7.5, 2.1, true);
  }

  @Test
  void reportJsonHasExactlyTheSpecifiedKeysAndReadsBack(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("report.json");
    sample().write(file);
    JsonNode json = JSON.readTree(file.toFile());
    assertThat(json.fieldNames()).toIterable().containsExactlyElementsOf(DemoReport.KEYS);
    assertThat(DemoReport.KEYS).containsExactly("schema_valid_rate", "field_accuracy", "field_accuracy_by_field",
        "summary_chrf", "train_seconds", "prompt_tokens_finetuned", "prompt_tokens_fewshot",
        "p50_latency_ms_finetuned", "p50_latency_ms_fewshot", "throughput_requests_per_second_finetuned",
        "throughput_requests_per_second_fewshot", "deterministic");
    assertThat(json.get("deterministic").isBoolean()).isTrue();
    assertThat(json.get("field_accuracy_by_field").size()).isEqualTo(7);
    assertThat(DemoReport.read(file)).isEqualTo(sample());
  }

  @Test
  void readingAMissingOrBrokenReportNamesTheFile(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> DemoReport.read(dir.resolve("none.json"))).hasMessageContaining("none.json")
        .hasMessageContaining("make demo");
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"schema_valid_rate\": ");
    assertThatThrownBy(() -> DemoReport.read(broken)).hasMessageStartingWith(broken + ": not a demo report");
  }

  @Test
  void tablesShowTheReportsFigures() {
    String why = Tables.whySmallModel(sample());
    assertThat(why).contains("| prompt tokens per request | 89 | 1234 (13.9x longer) |")
        .contains("| median latency | 410 ms | 1650 ms |").contains("7.50 req/s").contains("2.10 req/s")
        .contains("100.0%").contains("97.0%").contains("| training time on this machine | 312 s | |");
    assertThat(Tables.summaryText(sample())).contains("summary chrF").contains("71.3").contains("yes");
    assertThat(Tables.summaryMarkdown(sample())).startsWith("| metric | value |\n|---|---|\n")
        .contains("| due_date | 97.0% |");
  }

  @Test
  void readmeBlockIsReplacedAndEverythingElseKept(@TempDir Path dir) throws IOException {
    Path readme = dir.resolve("README.md");
    Files.writeString(readme, "# Title\n\n## Why a small task model\n\n" + ReadmeTable.START + "\nold table\n"
        + ReadmeTable.END + "\n\nAfter.\n");
    ReadmeTable.rewrite(readme, Tables.whySmallModel(sample()));
    String md = Files.readString(readme);
    assertThat(md).startsWith("# Title\n\n## Why a small task model\n\n" + ReadmeTable.START + "\n| |")
        .doesNotContain("old table").endsWith(ReadmeTable.END + "\n\nAfter.\n").contains("13.9x longer");
    ReadmeTable.rewrite(readme, Tables.whySmallModel(sample()));
    assertThat(Files.readString(readme)).isEqualTo(md);
    assertThatThrownBy(() -> ReadmeTable.replace("no markers", "t", "X.md"))
        .hasMessageStartingWith("X.md: no block between");
  }

  @Test
  void chartsAreWellFormedSvg() throws Exception {
    SvgChart.Series a = new SvgChart.Series("loss <sft>", "#1f77b4", new double[] {1, 2, 3}, new double[] {3, 2, 1.5});
    String lines = SvgChart.lines("Training loss", "step", "loss", List.of(a));
    String cdf = SvgChart.lines("CDF", "ms", "share", List.of(SvgChart.cdf("x", "red", new double[] {5, 1, 3})));
    String hist = SvgChart.histogram("Latency", "ms", List.of(a, SvgChart.cdf("b", "red", new double[] {2, 2})), 5);
    for (String svg : List.of(lines, cdf, hist)) {
      Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
      assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
    }
    assertThat(lines).contains("<polyline").contains("<circle").contains("loss &lt;sft&gt;");
    assertThat(hist).contains("<rect fill-opacity");
    assertThat(SvgChart.cdf("x", "red", new double[] {5, 1, 3}).y()).containsExactly(1 / 3.0, 2 / 3.0, 1.0);
  }
}
