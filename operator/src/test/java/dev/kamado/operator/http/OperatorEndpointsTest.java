package dev.kamado.operator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kamado.operator.http.OperatorEndpoints.Probe;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The operator's HTTP endpoints over real HTTP on a free port. */
class OperatorEndpointsTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(int port, String method, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesFollowTheSuppliersAndMetricsUseThePrometheusTextFormat() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter.builder().name("kamado_test_things_total").help("things").register(registry).inc(3);
    try (OperatorEndpoints endpoints = OperatorEndpoints.start(0, () -> new Probe(true, "fine"),
        () -> new Probe(ready.get(), ready.get() ? "started" : "operator not started"), registry)) {
      int port = endpoints.port();
      assertThat(send(port, "GET", "/healthz").statusCode()).isEqualTo(200);
      HttpResponse<String> notReady = send(port, "GET", "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).contains("operator not started");
      ready.set(true);
      assertThat(send(port, "GET", "/readyz").statusCode()).isEqualTo(200);

      HttpResponse<String> metrics = send(port, "GET", "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      assertThat(metrics.body()).contains("kamado_test_things_total 3.0");

      HttpResponse<String> post = send(port, "POST", "/healthz");
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
      assertThat(send(port, "GET", "/nope").statusCode()).isEqualTo(404);
    }
  }
}
