package dev.kamado.demo.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.demo.prompt.ChatMessage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * A client of the server's OpenAI-compatible {@code POST /v1/chat/completions}: greedy decoding
 * ({@code temperature: 0}) with {@code response_format: {type: json_schema}}, the answer's text, the prompt and
 * completion token counts the server reports in {@code usage}, and the request's latency.
 */
public final class ChatClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;
  private final Duration timeout;
  private volatile String model;

  public ChatClient(URI base, Duration timeout) {
    this.base = base;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** One answer with its figures. */
  public record Completion(String content, int promptTokens, int completionTokens, double latencyMs) {}

  /** True when {@code GET /readyz} answers 200. */
  public boolean ready() {
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base.resolve("/readyz")).timeout(Duration.ofSeconds(2))
          .GET().build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The id of the served model, from {@code GET /v1/models} (the first one listed). */
  public String model() throws IOException, InterruptedException {
    if (model == null) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/models")).timeout(timeout).GET()
          .build(), HttpResponse.BodyHandlers.ofString());
      JsonNode id = r.statusCode() == 200 ? JSON.readTree(r.body()).path("data").path(0).path("id") : null;
      model = id != null && id.isTextual() ? id.asText() : "triage";
    }
    return model;
  }

  /** Sends one chat completion request and waits for the whole answer. */
  public Completion complete(List<ChatMessage> messages, JsonNode schema, int maxTokens)
      throws IOException, InterruptedException {
    String body = requestBody(model(), messages, schema, maxTokens);
    HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).timeout(timeout)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    long start = System.nanoTime();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    double latencyMs = (System.nanoTime() - start) / 1e6;
    if (response.statusCode() != 200) {
      String text = response.body();
      throw new IOException("POST " + request.uri() + " answered " + response.statusCode() + ": "
          + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
    }
    JsonNode json = JSON.readTree(response.body());
    JsonNode content = json.path("choices").path(0).path("message").path("content");
    if (!content.isTextual()) {
      throw new IOException("POST " + request.uri() + ": response without choices[0].message.content: "
          + response.body());
    }
    return new Completion(content.asText(), json.path("usage").path("prompt_tokens").asInt(-1),
        json.path("usage").path("completion_tokens").asInt(-1), latencyMs);
  }

  /** The request body: model, messages, greedy decoding, token limit and the JSON Schema as response format. */
  static String requestBody(String model, List<ChatMessage> messages, JsonNode schema, int maxTokens)
      throws IOException {
    ObjectNode req = JSON.createObjectNode();
    req.put("model", model);
    ArrayNode msgs = req.putArray("messages");
    for (ChatMessage m : messages) {
      msgs.addObject().put("role", m.role()).put("content", m.content());
    }
    req.put("temperature", 0);
    req.put("max_tokens", maxTokens);
    ObjectNode format = req.putObject("response_format");
    format.put("type", "json_schema");
    ObjectNode js = format.putObject("json_schema");
    js.put("name", "triage");
    js.put("strict", true);
    js.set("schema", schema);
    return JSON.writeValueAsString(req);
  }
}
