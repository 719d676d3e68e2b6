package dev.kamado.demo.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tables made from a {@link DemoReport}: the summary (plain text and Markdown) and the README's "Why a small task
 * model" table. Every figure comes from the report; none is typed by hand.
 */
public final class Tables {
  private Tables() {}

  /** The rows of the summary: metric, value. */
  public static List<String[]> summaryRows(DemoReport r) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"schema-valid answers", percent(r.schemaValidRate())});
    rows.add(new String[] {"field accuracy (all structured fields)", percent(r.fieldAccuracy())});
    for (Map.Entry<String, Double> e : r.fieldAccuracyByField().entrySet()) {
      rows.add(new String[] {"  " + e.getKey(), percent(e.getValue())});
    }
    rows.add(new String[] {"summary chrF", fixed(r.summaryChrf(), 1)});
    rows.add(new String[] {"training time", fixed(r.trainSeconds(), 0) + " s"});
    rows.add(new String[] {"prompt tokens per request, trained model", fixed(r.promptTokensFinetuned(), 1)});
    rows.add(new String[] {"prompt tokens per request, few-shot prompt", fixed(r.promptTokensFewshot(), 1)
        + " (" + fixed(r.promptLengthRatio(), 1) + "x)"});
    rows.add(new String[] {"p50 latency, trained model / few-shot", fixed(r.p50LatencyMsFinetuned(), 0) + " ms / "
        + fixed(r.p50LatencyMsFewshot(), 0) + " ms"});
    rows.add(new String[] {"throughput, trained model / few-shot",
        fixed(r.throughputRequestsPerSecondFinetuned(), 2) + " / " + fixed(r.throughputRequestsPerSecondFewshot(), 2)
            + " req/s"});
    rows.add(new String[] {"deterministic (concurrency 1 vs N, two servers)", r.deterministic() ? "yes" : "NO"});
    return rows;
  }

  /** The summary as an aligned plain-text table. */
  public static String summaryText(DemoReport r) {
    List<String[]> rows = summaryRows(r);
    int width = rows.stream().mapToInt(row -> row[0].length()).max().orElse(10);
    StringBuilder b = new StringBuilder("Kamado triage demo\n");
    b.append("-".repeat(width + 20)).append('\n');
    for (String[] row : rows) {
      b.append(String.format(Locale.ROOT, "%-" + width + "s  %s%n", row[0], row[1]));
    }
    return b.toString();
  }

  /** The summary as a Markdown table. */
  public static String summaryMarkdown(DemoReport r) {
    StringBuilder b = new StringBuilder("| metric | value |\n|---|---|\n");
    for (String[] row : summaryRows(r)) {
      b.append("| ").append(row[0].strip()).append(" | ").append(row[1]).append(" |\n");
    }
    return b.toString();
  }

  /** The "Why a small task model" table: the trained model's short prompt against a few-shot prompt. */
  public static String whySmallModel(DemoReport r) {
    StringBuilder b = new StringBuilder();
    b.append("| | trained task model, short prompt | same server, instruction + schema + few-shot prompt |\n");
    b.append("|---|---|---|\n");
    b.append("| prompt tokens per request | ").append(fixed(r.promptTokensFinetuned(), 0)).append(" | ")
        .append(fixed(r.promptTokensFewshot(), 0)).append(" (").append(fixed(r.promptLengthRatio(), 1))
        .append("x longer) |\n");
    b.append("| median latency | ").append(fixed(r.p50LatencyMsFinetuned(), 0)).append(" ms | ")
        .append(fixed(r.p50LatencyMsFewshot(), 0)).append(" ms |\n");
    b.append("| throughput | ").append(fixed(r.throughputRequestsPerSecondFinetuned(), 2)).append(" req/s | ")
        .append(fixed(r.throughputRequestsPerSecondFewshot(), 2)).append(" req/s |\n");
    b.append("| schema-valid answers | ").append(percent(r.schemaValidRate())).append(" | |\n");
    b.append("| field accuracy (category, department, urgency, requester, due date, systems, language) | ")
        .append(percent(r.fieldAccuracy())).append(" | |\n");
    b.append("| summary chrF | ").append(fixed(r.summaryChrf(), 1)).append(" | |\n");
    b.append("| byte-identical answers across concurrency and server processes | ")
        .append(r.deterministic() ? "yes" : "no").append(" | |\n");
    b.append("| training time on this machine | ").append(fixed(r.trainSeconds(), 0)).append(" s | |\n");
    return b.toString();
  }

  static String percent(double share) {
    return fixed(100 * share, 1) + "%";
  }

  static String fixed(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
