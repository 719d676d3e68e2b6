package dev.kamado.operator.autoscale;

import java.util.OptionalDouble;

/** Reads sample values out of the Prometheus text exposition format (what {@code /metrics} serves). */
public final class PrometheusText {
  private PrometheusText() {}

  /** Sum of all samples of {@code metric} (any labels); empty when the metric is absent. */
  public static OptionalDouble sum(String body, String metric) {
    double total = 0;
    boolean found = false;
    int start = 0;
    int length = body.length();
    while (start < length) {
      int end = body.indexOf('\n', start);
      if (end < 0) {
        end = length;
      }
      if (body.startsWith(metric, start) && body.charAt(start) != '#') {
        int after = start + metric.length();
        char next = after < end ? body.charAt(after) : '\n';
        int valueStart = -1;
        if (next == ' ' || next == '\t') {
          valueStart = after;
        } else if (next == '{') {
          int close = labelsEnd(body, after, end);
          valueStart = close < 0 ? -1 : close + 1;
        }
        if (valueStart >= 0) {
          double value = value(body, valueStart, end);
          if (!Double.isNaN(value)) {
            total += value;
            found = true;
          }
        }
      }
      start = end + 1;
    }
    return found ? OptionalDouble.of(total) : OptionalDouble.empty();
  }

  /** Index of the '}' closing a label set, skipping quoted label values; -1 when malformed. */
  private static int labelsEnd(String body, int open, int end) {
    boolean quoted = false;
    for (int i = open + 1; i < end; i++) {
      char c = body.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '}' && !quoted) {
        return i;
      }
    }
    return -1;
  }

  private static double value(String body, int from, int end) {
    int i = from;
    while (i < end && (body.charAt(i) == ' ' || body.charAt(i) == '\t')) {
      i++;
    }
    int j = i;
    while (j < end && body.charAt(j) != ' ' && body.charAt(j) != '\t' && body.charAt(j) != '\r') {
      j++;
    }
    try {
      return Double.parseDouble(body.substring(i, j));
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
