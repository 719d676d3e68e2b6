package dev.kamado.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The warm-up before ready: /readyz turns 200 only after the warm-up's generations are done (and they are not counted
 * in the metrics), and answers are the same with {@code --warmup-steps 0} and with a warm-up: greedy, seeded,
 * schema-constrained, alone and 6 at once; and with decode steps on 1 thread and split over 3.
 */
class ServerWarmupIT {

  static final int STEPS = 200;
  static final Pattern WARMUP_LINE = Pattern.compile("warm-up: (\\d+) tokens in (\\d+) generations");
  static Path work;
  static Path model;

  @BeforeAll
  static void writeModel() throws Exception {
    work = Files.createTempDirectory("kamado-server-warmup");
    model = TinyModel.write(work.resolve("tiny"), 640, 64, 2, 1024, 23);
  }

  @AfterAll
  static void clean() throws Exception {
    TinyModel.delete(work);
  }

  static ObjectNode chat(String user, int variant) {
    ObjectNode body = ServerProcess.JSON.createObjectNode();
    ArrayNode messages = body.putArray("messages");
    messages.addObject().put("role", "user").put("content", user);
    body.put("max_tokens", 40);
    switch (variant % 3) {
      case 0 -> body.put("temperature", 0);
      case 1 -> body.put("temperature", 0.9).put("top_p", 0.95).put("seed", 100 + variant);
      default -> {
        body.put("temperature", 0);
        body.putObject("response_format").put("type", "json_schema").putObject("json_schema").put("name", "t")
            .putObject("schema").put("type", "object").put("additionalProperties", false)
            .putArray("required").add("category").add("n");
        ObjectNode properties = ((ObjectNode) body.path("response_format").path("json_schema").path("schema"))
            .putObject("properties");
        properties.putObject("category").putArray("enum").add("it").add("billing").add("hr");
        properties.putObject("n").put("type", "integer");
      }
    }
    return body;
  }

  /** The texts of 6 requests sent one after another, then of the same 6 sent at once. */
  static List<String> answers(ServerProcess server) throws Exception {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      texts.add(text(server.post("/v1/chat/completions", chat("Question number " + i + "?", i).toString())));
    }
    List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      together.add(CompletableFuture.supplyAsync(post(server, chat("Question number " + i + "?", i).toString())));
    }
    for (CompletableFuture<HttpResponse<String>> f : together) {
      texts.add(text(f.get(120, TimeUnit.SECONDS)));
    }
    return texts;
  }

  static java.util.function.Supplier<HttpResponse<String>> post(ServerProcess server, String body) {
    return () -> {
      try {
        return server.post("/v1/chat/completions", body);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  static String text(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return ServerProcess.json(response.body()).path("choices").path(0).path("message").path("content").asText();
  }

  /** Polls /readyz from start; when it first answers 200, the log must already report the finished warm-up. */
  static ServerProcess startAndCheckReadiness(int steps, int decodeThreads) throws Exception {
    return startAndCheckReadiness(steps, decodeThreads, true);
  }

  /**
   * Like {@link #startAndCheckReadiness(int, int)}; {@code vector} false turns the Vector API kernels off
   * ({@code -Dkamado.decode.vector=false} through JDK_JAVA_OPTIONS), which the ready line must name.
   */
  static ServerProcess startAndCheckReadiness(int steps, int decodeThreads, boolean vector) throws Exception {
    ServerProcess server = ServerProcess.start(work,
        vector ? java.util.Map.of() : java.util.Map.of("JDK_JAVA_OPTIONS", "-Dkamado.decode.vector=false"),
        "--model", model.toString(), "--port", "0", "--host", "127.0.0.1", "--max-running", "8", "--warmup-steps",
        Integer.toString(steps), "--decode-threads", Integer.toString(decodeThreads));
    try {
      return checkReadiness(server, steps, decodeThreads, vector);
    } catch (Exception | AssertionError e) {
      server.close(); // a failed check leaves no server running
      throw e;
    }
  }

  private static ServerProcess checkReadiness(ServerProcess server, int steps, int decodeThreads, boolean vector)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (true) {
      // the ready line is logged after /readyz turns 200: a log read before a 503 cannot hold it
      String before = server.logText();
      if (server.get("/readyz").statusCode() == 200) {
        break;
      }
      assertThat(before).doesNotContain("ready: serving");
      assertThat(System.nanoTime()).as("ready within 180 s").isLessThan(deadline);
      assertThat(server.process.isAlive()).as(server.logText()).isTrue();
      Thread.sleep(20);
    }
    // the ready line is logged just after /readyz turns 200
    long logDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!server.logText().contains("ready: serving") && System.nanoTime() < logDeadline) {
      Thread.sleep(20);
    }
    String log = server.logText();
    Matcher warmup = WARMUP_LINE.matcher(log);
    assertThat(warmup.find()).as(log).isTrue();
    assertThat(log.indexOf("warm-up: ")).isLessThan(log.indexOf("ready: serving"));
    assertThat(log).contains("(decode: JAVA, " + decodeThreads + " decode thread(s), "
        + (vector ? "vector, " : "scalar (kamado.decode.vector=false) kernel"));
    int tokens = Integer.parseInt(warmup.group(1));
    if (steps == 0) {
      assertThat(tokens).isZero();
    } else {
      // steps alone, steps for each of 4 streams together, then constrained generations
      assertThat(tokens).isGreaterThanOrEqualTo(5 * steps);
      assertThat(Integer.parseInt(warmup.group(2))).isEqualTo(1 + 4 + 2);
    }
    // Warm-up generations are not requests: nothing counted, nothing left running.
    assertThat(server.metric("kamado_generated_tokens_total")).isZero();
    assertThat(server.metric("kamado_prompt_tokens_total")).isZero();
    assertThat(server.metric("kamado_requests_running")).isZero();
    return server;
  }

  @Test
  void readyOnlyAfterWarmupAndAnswersIndependentOfIt() throws Exception {
    List<String> cold;
    // no warm-up, one decode thread, the scalar kernels
    try (ServerProcess server = startAndCheckReadiness(0, 1, false)) {
      cold = answers(server);
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
    // with the warm-up, each step of several sequences split over 3 threads, the Vector API kernels: the same answers
    try (ServerProcess server = startAndCheckReadiness(STEPS, 3)) {
      List<String> warm = answers(server);
      assertThat(warm).isEqualTo(cold);
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
    assertThat(cold.subList(0, 6)).isEqualTo(cold.subList(6, 12));
    assertThat(ServerProcess.json(cold.get(2)).path("category").asText()).isIn("it", "billing", "hr");
    assertThat(ServerProcess.json(cold.get(2)).path("n").isIntegralNumber()).isTrue();
  }
}
