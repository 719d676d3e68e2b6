package dev.kamado.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schema-constrained output end to end: a model with random weights (it would emit garbage) answers over HTTP with
 * JSON that parses and validates against random schemas of the supported subset, every time; the server-wide
 * default schema applies to requests without a response_format; unsupported keywords get 400 naming them.
 */
class ServerSchemaIT {

  static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final ObjectMapper STRICT = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  static final JsonSchemaFactory ORACLE = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  static final String[] NAMES = {"name", "category", "urgency", "summary", "tags", "due", "score", "ok", "部署"};
  static final String[] WORDS = {"billing", "high", "low", "東京", "it", "人事", "a b", "with \"quote\""};

  static Path work;
  static ServerProcess server;
  static ObjectNode defaultSchema;

  @BeforeAll
  static void start() throws Exception {
    work = Files.createTempDirectory("kamado-server-schema");
    Path model = TinyModel.write(work.resolve("tiny"), 640, 64, 2, 2048, 23);
    defaultSchema = F.objectNode();
    defaultSchema.put("type", "object");
    ObjectNode props = defaultSchema.putObject("properties");
    props.putObject("category").putArray("enum").add("billing").add("it").add("hr");
    props.putObject("urgency").put("type", "integer").put("minimum", 1).put("maximum", 5);
    props.putObject("summary").put("type", "string").put("maxLength", 20);
    defaultSchema.putArray("required").add("category").add("urgency").add("summary");
    defaultSchema.put("additionalProperties", false);
    Path schemaFile = work.resolve("schema.json");
    Files.writeString(schemaFile, defaultSchema.toString());
    server = ServerProcess.start(work, "--model", model.toString(), "--port", "0", "--host", "127.0.0.1",
        "--schema", schemaFile.toString(), "--max-running", "16").awaitReady();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
    TinyModel.delete(work);
  }

  static ObjectNode request(JsonNode schema, long seed, boolean stream) {
    ObjectNode body = F.objectNode();
    body.putArray("messages").addObject().put("role", "user").put("content", "Triage: the printer is on fire.");
    body.put("temperature", 1.0);
    body.put("seed", seed);
    body.put("max_tokens", 400);
    body.put("stream", stream);
    if (schema != null) {
      ObjectNode format = body.putObject("response_format");
      format.put("type", "json_schema");
      format.putObject("json_schema").put("name", "t").set("schema", schema);
    }
    return body;
  }

  static String content(HttpResponse<String> response, boolean stream) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    if (stream) {
      Sse sse = Sse.parse(response.body(), true);
      assertThat(sse.done()).isTrue();
      assertThat(sse.finishReason()).isEqualTo("stop");
      return sse.text();
    }
    JsonNode choice = ServerProcess.json(response.body()).path("choices").get(0);
    assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    return choice.path("message").path("content").asText();
  }

  static void assertValid(String text, JsonNode schema) throws Exception {
    JsonNode parsed = STRICT.readTree(text);
    assertThat(ORACLE.getSchema(schema).validate(parsed)).as("%s against %s", text, schema).isEmpty();
  }

  @Test
  void theWarmupPrewarmsTheDefaultSchemaBeforeReady() throws Exception {
    String log = server.logText();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "default schema prewarmed by (\\d+) random generations of up to \\d+ tokens in \\d+ ms: (\\d+) automaton "
        + "states, (\\d+) masks").matcher(log);
    assertThat(m.find()).as(log).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isPositive();
    assertThat(Integer.parseInt(m.group(2))).isGreaterThan(20);
    assertThat(Integer.parseInt(m.group(3))).isGreaterThan(20);
    assertThat(log.indexOf("default schema prewarmed")).isLessThan(log.indexOf("ready: serving"));
    // and the schema code ran under a sample schema first, for the JIT
    assertThat(log).containsPattern("schema code run by [1-9]\\d* random generations under a sample schema");
  }

  @Test
  void randomSchemasAlwaysGiveValidJson() throws Exception {
    Random random = new Random(2026);
    for (int i = 0; i < 40; i++) {
      JsonNode schema = randomSchema(random, 2, true);
      boolean stream = i % 2 == 1;
      String text = content(server.post("/v1/chat/completions", request(schema, i, stream).toString()), stream);
      assertValid(text, schema);
    }
  }

  @Test
  void defaultSchemaAppliesWithoutResponseFormatAndGreedyIsStable() throws Exception {
    ObjectNode body = request(null, 1, false);
    body.put("temperature", 0);
    String first = content(server.post("/v1/chat/completions", body.toString()), false);
    assertValid(first, defaultSchema);
    assertThat(content(server.post("/v1/chat/completions", body.toString()), false)).isEqualTo(first);
    ObjectNode plain = F.objectNode();
    plain.put("prompt", "JSON:");
    plain.put("max_tokens", 200);
    plain.put("seed", 3);
    HttpResponse<String> completion = server.post("/v1/completions", plain.toString());
    assertValid(ServerProcess.json(completion.body()).path("choices").get(0).path("text").asText(), defaultSchema);
  }

  @Test
  void jsonObjectModeGivesAnObject() throws Exception {
    for (int i = 0; i < 5; i++) {
      ObjectNode body = request(null, 50 + i, false);
      body.putObject("response_format").put("type", "json_object");
      String text = content(server.post("/v1/chat/completions", body.toString()), false);
      assertThat(STRICT.readTree(text).isObject()).as(text).isTrue();
    }
  }

  @Test
  void unsupportedKeywordGets400NamingIt() throws Exception {
    ObjectNode schema = F.objectNode();
    schema.put("type", "object");
    schema.putObject("properties").putObject("id").put("type", "string").put("pattern", "^[a-z]+$");
    HttpResponse<String> response = server.post("/v1/chat/completions", request(schema, 1, false).toString());
    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = ServerProcess.json(response.body()).path("error");
    assertThat(error.path("param").asText()).isEqualTo("response_format.json_schema.schema");
    assertThat(error.path("message").asText()).contains("pattern").contains("/properties/id");
  }

  /** A random schema of the supported subset. */
  static JsonNode randomSchema(Random r, int depth, boolean root) {
    int kind = root ? 7 : r.nextInt(depth > 0 ? 10 : 7);
    ObjectNode s = F.objectNode();
    switch (kind) {
      case 0 -> {
        s.put("type", "string");
        int min = r.nextInt(3);
        if (min > 0) {
          s.put("minLength", min);
        }
        s.put("maxLength", min + r.nextInt(10));
      }
      case 1 -> {
        s.put("type", "integer");
        int lo = r.nextInt(200) - 100;
        if (r.nextBoolean()) {
          s.put("minimum", lo);
        }
        if (r.nextBoolean()) {
          s.put("maximum", lo + r.nextInt(500));
        }
      }
      case 2 -> {
        s.put("type", "number");
        if (r.nextBoolean()) {
          s.put("minimum", -5.5);
          s.put("maximum", 1000);
        }
      }
      case 3 -> s.put("type", r.nextBoolean() ? "boolean" : "null");
      case 4 -> {
        ArrayNode e = s.putArray("enum");
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
          String w = WORDS[r.nextInt(WORDS.length)];
          if (!e.toString().contains("\"" + w.replace("\"", "\\\"") + "\"")) {
            e.add(w);
          }
        }
      }
      case 5 -> {
        s.put("type", "string");
        s.put("maxLength", 6);
      }
      case 6 -> s.put("type", "boolean");
      case 7 -> {
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        ArrayNode required = s.putArray("required");
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
          String name = NAMES[r.nextInt(NAMES.length)];
          if (props.has(name)) {
            continue;
          }
          props.set(name, randomSchema(r, depth - 1, false));
          if (r.nextInt(3) > 0) {
            required.add(name);
          }
        }
        s.put("additionalProperties", false);
      }
      case 8 -> {
        s.put("type", "array");
        s.set("items", randomSchema(r, depth - 1, false));
        int min = r.nextInt(2);
        s.put("minItems", min);
        s.put("maxItems", min + r.nextInt(3));
      }
      default -> {
        ArrayNode any = s.putArray("anyOf");
        any.add(randomSchema(r, depth - 1, false));
        any.add(randomSchema(r, depth - 1, false));
      }
    }
    return s;
  }
}
