package dev.kamado.operator.autoscale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads figures from Prometheus's HTTP query API. The servers' series are selected by the labels a Prometheus
 * Operator ServiceMonitor gives them: {@code namespace}, {@code service} (the ModelServer's name) and {@code pod}.
 * Tokens per second is {@code rate(kamado_generated_tokens_total[window])} per pod; only ready pods count.
 */
public final class PrometheusMetricsSource implements MetricsSource {
  public static final String SOURCE = "prometheus";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String baseUrl;
  private final Duration timeout;
  private final String rateWindow;

  /**
   * @param baseUrl Prometheus's base URL, for example {@code http://prometheus.monitoring.svc:9090}
   * @param rateWindow range of the rate, in Prometheus duration syntax, for example {@code 1m}
   */
  public PrometheusMetricsSource(String baseUrl, String rateWindow, Duration timeout) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.rateWindow = rateWindow;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public MetricsReading read(String namespace, String server, int port, List<ServerPod> readyPods) {
    if (readyPods.isEmpty()) {
      return new MetricsReading.Missing(SOURCE, "no ready replica");
    }
    String selector = "{namespace=\"" + namespace + "\",service=\"" + server + "\"}";
    Map<String, Double> rates;
    Map<String, Double> waiting;
    try {
      rates = query("sum by (pod) (rate(" + GENERATED_TOKENS + selector + "[" + rateWindow + "]))");
      waiting = query("sum by (pod) (" + REQUESTS_WAITING + selector + ")");
    } catch (IOException e) {
      return new MetricsReading.Missing(SOURCE, "Prometheus query failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new MetricsReading.Missing(SOURCE, "interrupted");
    }
    double tokensPerSecond = 0;
    double waitingTotal = 0;
    int read = 0;
    Set<String> ready = new HashSet<>();
    readyPods.forEach(p -> ready.add(p.name()));
    for (String pod : ready) {
      Double rate = rates.get(pod);
      Double queued = waiting.get(pod);
      if (rate != null && queued != null && !rate.isNaN() && !queued.isNaN()) {
        tokensPerSecond += rate;
        waitingTotal += queued;
        read++;
      }
    }
    if (read == 0) {
      return new MetricsReading.Missing(SOURCE, "Prometheus has no " + GENERATED_TOKENS + " rate for the "
          + readyPods.size() + " ready replica(s) of " + namespace + "/" + server + " yet");
    }
    return new MetricsReading.Figures(SOURCE, tokensPerSecond, waitingTotal, read, readyPods.size());
  }

  /** An instant vector query; the value of each series by its {@code pod} label. */
  private Map<String, Double> query(String promql) throws IOException, InterruptedException {
    URI uri = URI.create(baseUrl + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " from " + baseUrl + ": " + abbreviate(response.body()));
    }
    JsonNode root = JSON.readTree(response.body());
    if (!"success".equals(root.path("status").asText())) {
      throw new IOException(root.path("error").asText("status " + root.path("status").asText()));
    }
    Map<String, Double> values = new HashMap<>();
    for (JsonNode series : root.path("data").path("result")) {
      String pod = series.path("metric").path("pod").asText(null);
      JsonNode value = series.path("value");
      if (pod != null && value.size() == 2) {
        try {
          values.put(pod, Double.parseDouble(value.get(1).asText()));
        } catch (NumberFormatException e) {
          values.put(pod, Double.NaN);
        }
      }
    }
    return values;
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
