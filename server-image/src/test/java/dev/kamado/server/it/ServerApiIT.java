package dev.kamado.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server jar over real HTTP on a tiny random model: API shapes, streaming, errors, batching, disconnects. */
class ServerApiIT {

  static final int CONTEXT = 1024;
  static Path work;
  static ServerProcess server;

  @BeforeAll
  static void startServer() throws Exception {
    work = Files.createTempDirectory("kamado-server-it");
    Path model = TinyModel.write(work.resolve("tiny"), 640, 64, 2, CONTEXT, 11);
    server = ServerProcess.start(work, "--model", model.toString(), "--port", "0", "--host", "127.0.0.1",
        "--max-running", "8", "--served-model-name", "tiny").awaitReady();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
    TinyModel.delete(work);
  }

  static ObjectNode chat(String user) {
    ObjectNode body = ServerProcess.JSON.createObjectNode();
    body.put("model", "tiny");
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "system").put("content", "You answer briefly.");
    messages.addObject().put("role", "user").put("content", user);
    body.put("temperature", 0);
    body.put("max_tokens", 24);
    return body;
  }

  static JsonNode ok(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return ServerProcess.json(response.body());
  }

  static JsonNode error(HttpResponse<String> response, int status, String param) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
        .startsWith("application/json"));
    JsonNode error = ServerProcess.json(response.body()).path("error");
    assertThat(error.path("message").asText()).isNotBlank();
    assertThat(error.has("type") && error.has("param") && error.has("code")).isTrue();
    if (param != null) {
      assertThat(error.path("param").asText()).isEqualTo(param);
    }
    return error;
  }

  @Test
  void modelsHealthAndReadiness() throws Exception {
    JsonNode models = ok(server.get("/v1/models"));
    assertThat(models.path("object").asText()).isEqualTo("list");
    assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("tiny");
    assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
    assertThat(server.get("/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void chatCompletionHasOpenAiShapeAndIsDeterministicAtTemperatureZero() throws Exception {
    JsonNode first = ok(server.post("/v1/chat/completions", chat("What is Kamado?").toString()));
    JsonNode second = ok(server.post("/v1/chat/completions", chat("What is Kamado?").toString()));
    assertThat(first.path("object").asText()).isEqualTo("chat.completion");
    assertThat(first.path("id").asText()).startsWith("chatcmpl-");
    assertThat(first.path("model").asText()).isEqualTo("tiny");
    JsonNode choice = first.path("choices").get(0);
    assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
    assertThat(choice.path("finish_reason").asText()).isIn("stop", "length");
    JsonNode usage = first.path("usage");
    assertThat(usage.path("prompt_tokens").asInt()).isPositive();
    assertThat(usage.path("completion_tokens").asInt()).isBetween(1, 24);
    assertThat(usage.path("total_tokens").asInt())
        .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    assertThat(second.path("choices").get(0).path("message").path("content").asText())
        .isEqualTo(choice.path("message").path("content").asText());
  }

  @Test
  void maxTokensEndsWithLength() throws Exception {
    ObjectNode body = chat("Count to one hundred.");
    body.put("max_completion_tokens", 3);
    body.put("ignore_eos", true);
    JsonNode response = ok(server.post("/v1/chat/completions", body.toString()));
    assertThat(response.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
    assertThat(response.path("usage").path("completion_tokens").asInt()).isEqualTo(3);
  }

  @Test
  void plainCompletionAndItsStream() throws Exception {
    ObjectNode body = ServerProcess.JSON.createObjectNode();
    body.put("prompt", "The quick brown fox");
    body.put("max_tokens", 16);
    body.put("temperature", 0);
    JsonNode whole = ok(server.post("/v1/completions", body.toString()));
    assertThat(whole.path("object").asText()).isEqualTo("text_completion");
    String text = whole.path("choices").get(0).path("text").asText();
    body.put("stream", true);
    HttpResponse<String> streamed = server.post("/v1/completions", body.toString());
    assertThat(streamed.statusCode()).isEqualTo(200);
    Sse sse = Sse.parse(streamed.body(), false);
    assertThat(sse.done()).isTrue();
    assertThat(sse.text()).isEqualTo(text);
    assertThat(sse.events()).allSatisfy(e -> assertThat(e.path("object").asText()).isEqualTo("text_completion"));
    assertThat(sse.finishReason()).isEqualTo(whole.path("choices").get(0).path("finish_reason").asText());
  }

  @Test
  void chatStreamFollowsOpenAiChunkFormatAndEqualsTheWholeAnswer() throws Exception {
    ObjectNode body = chat("Tell me about Tokyo.");
    body.put("max_tokens", 40);
    String whole = ok(server.post("/v1/chat/completions", body.toString())).path("choices").get(0).path("message")
        .path("content").asText();
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    HttpResponse<String> response = server.post("/v1/chat/completions", body.toString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    assertThat(response.body()).endsWith("data: [DONE]\n\n");
    Sse sse = Sse.parse(response.body(), true);
    assertThat(sse.done()).isTrue();
    assertThat(sse.text()).isEqualTo(whole);
    JsonNode first = sse.events().get(0);
    assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(first.path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
    String id = first.path("id").asText();
    assertThat(sse.events()).allSatisfy(e -> assertThat(e.path("id").asText()).isEqualTo(id));
    JsonNode last = sse.events().get(sse.events().size() - 1);
    assertThat(last.path("choices")).isEmpty();
    assertThat(last.path("usage").path("completion_tokens").asInt()).isPositive();
    assertThat(sse.finishReason()).isIn("stop", "length");
  }

  @Test
  void stopStringEndsTheAnswerAndIsNotReturned() throws Exception {
    ObjectNode body = chat("Write a long sentence.");
    body.put("max_tokens", 60);
    body.put("ignore_eos", true);
    String whole = ok(server.post("/v1/chat/completions", body.toString())).path("choices").get(0).path("message")
        .path("content").asText();
    assertThat(whole.length()).isGreaterThan(8);
    String stop = whole.substring(whole.length() / 2, whole.length() / 2 + 2);
    body.put("stop", stop);
    JsonNode stopped = ok(server.post("/v1/chat/completions", body.toString()));
    assertThat(stopped.path("choices").get(0).path("message").path("content").asText())
        .isEqualTo(whole.substring(0, whole.indexOf(stop)));
    assertThat(stopped.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
  }

  @Test
  void invalidRequestsGet400NamingTheField() throws Exception {
    error(server.post("/v1/chat/completions", "{not json"), 400, null);
    error(server.post("/v1/chat/completions", "[1]"), 400, null);
    error(server.post("/v1/chat/completions", "{}"), 400, "messages");
    error(server.post("/v1/chat/completions", "{\"messages\": []}"), 400, "messages");
    ObjectNode role = chat("hi");
    ((ObjectNode) role.path("messages").get(1)).put("role", "wizard");
    assertThat(error(server.post("/v1/chat/completions", role.toString()), 400, "messages[1].role")
        .path("message").asText()).contains("wizard");
    ObjectNode temperature = chat("hi");
    temperature.put("temperature", "hot");
    error(server.post("/v1/chat/completions", temperature.toString()), 400, "temperature");
    ObjectNode tooHot = chat("hi");
    tooHot.put("temperature", 7);
    error(server.post("/v1/chat/completions", tooHot.toString()), 400, "temperature");
    ObjectNode n = chat("hi");
    n.put("n", 2);
    error(server.post("/v1/chat/completions", n.toString()), 400, "n");
    ObjectNode maxTokens = chat("hi");
    maxTokens.put("max_tokens", 0);
    error(server.post("/v1/chat/completions", maxTokens.toString()), 400, "max_tokens");
    ObjectNode stop = chat("hi");
    stop.putArray("stop").add(3);
    error(server.post("/v1/chat/completions", stop.toString()), 400, "stop");
    ObjectNode stream = chat("hi");
    stream.put("stream", "yes");
    error(server.post("/v1/chat/completions", stream.toString()), 400, "stream");
    ObjectNode format = chat("hi");
    format.putObject("response_format").put("type", "yaml");
    error(server.post("/v1/chat/completions", format.toString()), 400, "response_format.type");
    error(server.post("/v1/completions", "{\"prompt\": 5}"), 400, "prompt");
  }

  @Test
  void promptBeyondTheContextGets400WithTheTokenCount() throws Exception {
    ObjectNode body = chat("word ".repeat(CONTEXT * 2));
    JsonNode error = error(server.post("/v1/chat/completions", body.toString()), 400, "messages");
    assertThat(error.path("code").asText()).isEqualTo("context_length_exceeded");
    assertThat(error.path("message").asText()).contains(Integer.toString(CONTEXT)).contains("tokens");
    ObjectNode tooMuch = chat("hi");
    tooMuch.put("max_tokens", CONTEXT);
    error(server.post("/v1/chat/completions", tooMuch.toString()), 400, "max_tokens");
  }

  @Test
  void unknownRoutesAndMethodsGetOpenAiErrors() throws Exception {
    error(server.get("/v1/nothing"), 404, null);
    error(server.get("/v1/chat/completions"), 405, null);
    error(server.send("DELETE", "/v1/models", null), 405, null);
  }

  @Test
  void concurrentRequestsEachGetExactlyTheirOwnAnswer() throws Exception {
    int count = 16;
    List<ObjectNode> bodies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ObjectNode body = chat("Question number " + i + ": " + "why ".repeat(i));
      body.put("max_tokens", 20 + i);
      if (i % 3 == 1) {
        body.put("temperature", 0.9);
        body.put("seed", 100 + i);
      }
      body.put("stream", i % 2 == 0);
      bodies.add(body);
    }
    List<String> alone = new ArrayList<>();
    for (ObjectNode body : bodies) {
      alone.add(answer(body, server.post("/v1/chat/completions", body.toString())));
    }
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (ObjectNode body : bodies) {
      futures.add(server.http.sendAsync(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
          .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < count; i++) {
      assertThat(answer(bodies.get(i), futures.get(i).get(120, TimeUnit.SECONDS))).as("request %d", i)
          .isEqualTo(alone.get(i));
    }
  }

  private static String answer(ObjectNode body, HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    if (body.path("stream").asBoolean()) {
      Sse sse = Sse.parse(response.body(), true);
      assertThat(sse.done()).isTrue();
      return sse.text() + "|" + sse.finishReason();
    }
    JsonNode choice = ServerProcess.json(response.body()).path("choices").get(0);
    return choice.path("message").path("content").asText() + "|" + choice.path("finish_reason").asText();
  }

  @Test
  void clientDisconnectMidStreamFreesTheSlot() throws Exception {
    double cancelledBefore = server.metric("kamado_engine_requests_total{finish_reason=\"cancelled\"}");
    ObjectNode body = chat("Talk forever.");
    body.put("max_tokens", CONTEXT - 64);
    body.put("ignore_eos", true);
    body.put("stream", true);
    HttpResponse<InputStream> response = server.http.send(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    int events = 0;
    while (events < 4) {
      String line = reader.readLine();
      assertThat(line).isNotNull();
      if (line.startsWith("data: ")) {
        events++;
      }
    }
    assertThat(server.metric("kamado_requests_running")).isEqualTo(1);
    reader.close();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (server.metric("kamado_requests_running") > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(server.metric("kamado_requests_running")).isZero();
    assertThat(server.metric("kamado_engine_requests_total{finish_reason=\"cancelled\"}"))
        .isEqualTo(cancelledBefore + 1);
  }

  @Test
  void metricsExposeTokenCountsLatenciesAndRequestCounts() throws Exception {
    ok(server.post("/v1/chat/completions", chat("metrics please").toString()));
    HttpResponse<String> metrics = server.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    String text = metrics.body();
    assertThat(text).contains("kamado_generated_tokens_total ", "kamado_prompt_tokens_total ",
        "kamado_requests_running ", "kamado_requests_waiting ", "kamado_time_to_first_token_seconds_bucket",
        "kamado_inter_token_latency_seconds_bucket", "kamado_request_duration_seconds_bucket",
        "kamado_http_requests_total{route=\"/v1/chat/completions\",status=\"200\"}", "kamado_ready 1");
    assertThat(server.metric("kamado_generated_tokens_total")).isPositive();
    assertThat(server.metric("kamado_prompt_tokens_total")).isPositive();
  }
}
