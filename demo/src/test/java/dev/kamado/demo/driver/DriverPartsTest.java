package dev.kamado.demo.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.kamado.api.training.TrainingConfig;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.TrainingMethod;
import dev.kamado.demo.data.DatasetFiles;
import dev.kamado.demo.data.Inquiry;
import dev.kamado.demo.data.TriageDataset;
import dev.kamado.demo.eval.LatencyStats;
import dev.kamado.demo.prompt.ChatMessage;
import dev.kamado.demo.prompt.PromptBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver's parts that work without the trainer and server jars. */
class DriverPartsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void trainingConfigIsWhatTheTrainerContractReads(@TempDir Path dir) throws IOException {
    TrainerCli.Stage stage = new TrainerCli.Stage("triage-demo-sft", "sft", "chat", dir.resolve("base"),
        dir.resolve("train.jsonl"), dir.resolve("validation.jsonl"), dir.resolve("out"), 3, null, 16, 2, 0.002, 512, 42);
    Path file = TrainerCli.writeConfig(stage, dir.resolve("configs/sft.json"));
    TrainingConfig config = JSON.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .readValue(file.toFile(), TrainingConfig.class);
    assertThat(config.version()).isEqualTo(TrainingConfig.VERSION);
    assertThat(config.objective()).isEqualTo(Objective.SFT);
    assertThat(config.method()).isEqualTo(TrainingMethod.FULL);
    assertThat(config.dataset().format()).isEqualTo(DatasetFormat.CHAT);
    assertThat(config.dataset().path()).isEqualTo(dir.resolve("train.jsonl").toString());
    assertThat(config.dataset().evalPath()).isEqualTo(dir.resolve("validation.jsonl").toString());
    assertThat(config.baseModel().path()).isEqualTo(dir.resolve("base").toString());
    assertThat(config.output().path()).isEqualTo(dir.resolve("out").toString());
    assertThat(config.hyperParameters().getEpochs()).isEqualTo(3);
    assertThat(config.hyperParameters().getLearningRate()).isEqualTo(0.002);
    assertThat(config.hyperParameters().getBatchSize()).isEqualTo(8);
    assertThat(config.hyperParameters().getGradientAccumulationSteps()).isEqualTo(2);
    assertThat(TrainerCli.trainArgs(file)).containsExactly("train", "--config", file.toString(), "--log-every", "5");
  }

  @Test
  void lossLogReadsProgressReportsAndPlainLines() {
    LossLog log = new LossLog();
    assertThat(log.accept("sft", "{\"step\":10,\"totalSteps\":300,\"loss\":2.5,\"evalLoss\":2.7}"))
        .isEqualTo(new LossLog.Point("sft", 10, 300, 2.5, 2.7));
    LossLog.Point plain = log.accept("sft", "12:00:01 INFO step 20/300 loss=1.75 lr=0.002 tokens/s=812");
    assertThat(plain.step()).isEqualTo(20);
    assertThat(plain.totalSteps()).isEqualTo(300);
    assertThat(plain.loss()).isEqualTo(1.75);
    assertThat(plain.evalLoss()).isNaN();
    LossLog.Point eval = log.accept("sft", "step 50 eval_loss 1.25");
    assertThat(eval.loss()).isNaN();
    assertThat(eval.evalLoss()).isEqualTo(1.25);
    assertThat(log.accept("sft", "loading model from /tmp/x")).isNull();
    assertThat(log.accept("sft", "{\"not\":\"progress\"}")).isNull();
    assertThat(log.points()).hasSize(3);
  }

  @Test
  void fewShotPromptCarriesInstructionSchemaAndExamplesAndIsFarLonger() {
    TriageDataset d = TriageDataset.generate(5, new TriageDataset.Sizes(200, 1, 5));
    List<Inquiry> examples = PromptBuilder.pickExamples(d.train(), 4);
    assertThat(examples).hasSize(4);
    assertThat(examples.stream().map(q -> q.record().language())).containsExactly("en", "ja", "en", "ja");
    assertThat(examples.stream().map(q -> q.record().category()).distinct()).hasSize(4);
    PromptBuilder prompts = new PromptBuilder(DatasetFiles.schemaText(), examples);
    Inquiry q = d.test().get(0);
    List<ChatMessage> shortPrompt = prompts.finetuned(q);
    List<ChatMessage> fewShot = prompts.fewShot(q);
    assertThat(shortPrompt).containsExactly(new ChatMessage("user", q.text()));
    assertThat(fewShot).hasSize(1 + 2 * 4 + 1);
    assertThat(fewShot.get(0).content()).startsWith("You triage internal inquiries")
        .contains("\"additionalProperties\": false");
    assertThat(fewShot.get(2).content()).isEqualTo(examples.get(0).record().toJson());
    assertThat(fewShot.get(fewShot.size() - 1)).isEqualTo(shortPrompt.get(0));
    int shortChars = shortPrompt.stream().mapToInt(m -> m.content().length()).sum();
    int fewChars = fewShot.stream().mapToInt(m -> m.content().length()).sum();
    assertThat(fewChars).isGreaterThan(5 * shortChars);
  }

  @Test
  void clientSendsTheSchemaAndLoadRunnerKeepsOrderOverRealHttp() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    AtomicInteger requests = new AtomicInteger();
    server.createContext("/v1/models", ex -> respond(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"triage\"}]}"));
    server.createContext("/v1/chat/completions", ex -> {
      JsonNode req = JSON.readTree(ex.getRequestBody());
      requests.incrementAndGet();
      boolean ok = req.path("model").asText().equals("triage") && req.path("temperature").asInt(-1) == 0
          && req.at("/response_format/type").asText().equals("json_schema")
          && req.at("/response_format/json_schema/schema/additionalProperties").isBoolean();
      String echo = req.at("/messages/0/content").asText();
      respond(ex, ok ? 200 : 400, JSON.createObjectNode()
          .set("choices", JSON.createArrayNode().add(JSON.createObjectNode().set("message",
              JSON.createObjectNode().put("role", "assistant").put("content", "answer to " + echo))))
          .toString().replace("}]}", "}],\"usage\":{\"prompt_tokens\":" + echo.length()
              + ",\"completion_tokens\":3}}"));
    });
    server.createContext("/readyz", ex -> respond(ex, 200, "ok"));
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    try {
      URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
      ChatClient client = new ChatClient(base, Duration.ofSeconds(10));
      assertThat(client.ready()).isTrue();
      JsonNode schema = JSON.readTree(DatasetFiles.schemaText());
      List<List<ChatMessage>> prompts = List.of(List.of(new ChatMessage("user", "a")),
          List.of(new ChatMessage("user", "bb")), List.of(new ChatMessage("user", "ccc")));
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      LoadRunner.Batch batch;
      try (ProgressBar bar = new ProgressBar("test", prompts.size(), new PrintStream(err, true,
          StandardCharsets.UTF_8))) {
        batch = LoadRunner.run(client, prompts, schema, 50, 3, bar);
      }
      assertThat(batch.contents()).containsExactly("answer to a", "answer to bb", "answer to ccc");
      assertThat(batch.meanPromptTokens()).isCloseTo(2.0, within(1e-9));
      assertThat(java.util.Arrays.stream(batch.latenciesMs()).boxed().toList()).hasSize(3).allSatisfy(l -> assertThat(l).isPositive());
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("3/3 100%");
      assertThat(requests.get()).isEqualTo(3);
      assertThatThrownBy(() -> new ChatClient(base.resolve("/nothing-here/"), Duration.ofSeconds(5))
          .complete(prompts.get(0), JSON.createObjectNode(), 5)).isInstanceOf(IOException.class);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void percentilesInterpolateBetweenRanks() {
    LatencyStats s = LatencyStats.of(new double[] {40, 10, 30, 20}, 2.0);
    assertThat(s.p50()).isCloseTo(25, within(1e-9));
    assertThat(s.p90()).isCloseTo(37, within(1e-9));
    assertThat(s.max()).isEqualTo(40);
    assertThat(s.requestsPerSecond()).isEqualTo(2.0);
  }

  private static void respond(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }
}
