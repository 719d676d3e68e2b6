package dev.kamado.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Not ready before warm-up (503), a full waiting queue (429 with Retry-After), and SIGTERM with a request in flight
 * (it finishes, new requests get 503, exit code 0). One server with one running slot and one waiting slot.
 */
class ServerLifecycleIT {

  static Path work;
  static Path model;

  @BeforeAll
  static void writeModel() throws Exception {
    work = Files.createTempDirectory("kamado-server-lifecycle");
    // A 32000-token LM head (the tokenizer decodes only the first ids) makes each token cost about a millisecond, so
    // that a 3000-token stream is still running while the checks below look at it: a 640-token model answers it in
    // tens of milliseconds since decode and prefill run on the vector kernels.
    model = TinyModel.write(work.resolve("tiny"), 32000, 256, 2, 4096, 5);
  }

  @AfterAll
  static void clean() throws Exception {
    TinyModel.delete(work);
  }

  static String longStream(int maxTokens) {
    ObjectNode body = ServerProcess.JSON.createObjectNode();
    body.put("prompt", "Once upon a time");
    body.put("max_tokens", maxTokens);
    body.put("ignore_eos", true);
    body.put("stream", true);
    return body.toString();
  }

  static BufferedReader openStream(ServerProcess server, String body) throws Exception {
    HttpResponse<InputStream> response = server.http.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    for (int events = 0; events < 2; ) {
      String line = reader.readLine();
      assertThat(line).isNotNull();
      if (line.startsWith("data: ")) {
        events++;
      }
    }
    return reader;
  }

  static void awaitMetric(ServerProcess server, String sample, double value) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (server.metric(sample) != value && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(server.metric(sample)).as(sample).isEqualTo(value);
  }

  @Test
  void notReadyThenQueueFullThenGracefulShutdown() throws Exception {
    try (ServerProcess server = ServerProcess.start(work, "--model", model.toString(), "--port", "0", "--host",
        "127.0.0.1", "--max-running", "1", "--max-waiting", "1", "--warmup-delay", "6s", "--grace-period", "60s")) {
      // Before the model is loaded and warmed up: 503 with an OpenAI error, /readyz not ready, /healthz alive.
      HttpResponse<String> early = server.post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 2}");
      assertThat(early.statusCode()).isEqualTo(503);
      assertThat(ServerProcess.json(early.body()).path("error").path("code").asText()).isEqualTo("not_ready");
      assertThat(server.get("/readyz").statusCode()).isEqualTo(503);
      assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
      server.awaitReady();

      // One running, one waiting, the third is refused with 429 and Retry-After.
      BufferedReader running = openStream(server, longStream(3000));
      awaitMetric(server, "kamado_requests_running", 1);
      CompletableFuture<HttpResponse<String>> waiting = server.http.sendAsync(
          HttpRequest.newBuilder(server.uri("/v1/completions")).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"waiting\", \"max_tokens\": 3}")).build(),
          HttpResponse.BodyHandlers.ofString());
      awaitMetric(server, "kamado_requests_waiting", 1);
      HttpResponse<String> refused = server.post("/v1/completions", "{\"prompt\": \"third\", \"max_tokens\": 3}");
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      assertThat(ServerProcess.json(refused.body()).path("error").path("code").asText()).isEqualTo("queue_full");
      running.close();
      assertThat(waiting.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      awaitMetric(server, "kamado_requests_running", 0);

      // SIGTERM with a request in flight: it completes, newcomers get 503 (or a refused connection), exit 0.
      BufferedReader inFlight = openStream(server, longStream(3000));
      awaitMetric(server, "kamado_requests_running", 1);
      server.process.destroy();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (server.get("/readyz").statusCode() == 200 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(server.get("/readyz").statusCode()).isEqualTo(503);
      HttpResponse<String> late = server.post("/v1/completions", "{\"prompt\": \"late\", \"max_tokens\": 2}");
      assertThat(late.statusCode()).isEqualTo(503);
      assertThat(ServerProcess.json(late.body()).path("error").path("code").asText()).isEqualTo("shutting_down");
      StringBuilder rest = new StringBuilder();
      String line;
      while ((line = inFlight.readLine()) != null) {
        rest.append(line).append('\n');
      }
      String tail = rest.toString();
      assertThat(tail).contains("\"finish_reason\":\"length\"").endsWith("data: [DONE]\n\n");
      assertThat(server.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(server.process.exitValue()).as(server.logText()).isZero();
      assertThat(server.logText()).contains("shutting down", "stopped");
    }
  }

  @Test
  void requestBodyIsCheckedBeforeTheModelIsNeeded() throws Exception {
    try (ServerProcess server = ServerProcess.start(work, "--model", model.toString(), "--port", "0", "--host",
        "127.0.0.1", "--max-request-bytes", "2048")) {
      server.awaitReady();
      HttpResponse<String> big = server.post("/v1/completions", "{\"prompt\": \"" + "x".repeat(4096) + "\"}");
      assertThat(big.statusCode()).isEqualTo(413);
      JsonNode error = ServerProcess.json(big.body()).path("error");
      assertThat(error.path("message").asText()).contains("2048");
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
  }
}
