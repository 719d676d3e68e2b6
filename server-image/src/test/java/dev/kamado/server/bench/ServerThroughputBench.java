package dev.kamado.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.model.tokenizer.TextTokenizer;
import dev.kamado.server.it.TinyModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Server throughput benchmark (run with {@code -Pbench}; prints figures, asserts nothing about speed). Starts the
 * server jar on a random Llama of about 50M parameters (or the model folder in {@code -Dkamado.bench.model}), drives
 * it over HTTP with {@link LoadGenerator}, and in the same run measures transformers {@code generate} on the same
 * model and prompts (hack/reference/generate_bench_transformers.py, when the reference venv exists) and this
 * machine's memory bandwidth.
 */
class ServerThroughputBench {

  static final ObjectMapper JSON = new ObjectMapper();
  static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+)");
  static final List<String> PROMPTS = List.of(
      "Inquiry: my laptop will not start since this morning. Please triage.",
      "問い合わせ: 先月の請求書の金額が間違っているようです。確認をお願いします。",
      "The quick brown fox jumps over the lazy dog, and then",
      "Please answer in JSON: the printer on floor 3 is broken again.",
      "東京都渋谷区のオフィスで、明日の会議について問い合わせがありました。",
      "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000",
      "Kamado fine-tunes and serves small language models on Kubernetes.",
      "Hello, world! How are you today?");
  static final int SINGLE_TOKENS = 128;
  static final int LOAD_TOKENS = 64;
  /** Shortest duration of a measured phase (more requests are sent until it has passed). */
  static final double PHASE_SECONDS = Double.parseDouble(System.getProperty("kamado.bench.phase.seconds", "3"));

  final BenchReport report = new BenchReport();

  void print(String format, Object... args) {
    report.print(format, args);
  }

  @Test
  void serverThroughput() throws Exception {
    Path work = Files.createTempDirectory("kamado-server-bench");
    try {
      String given = System.getProperty("kamado.bench.model");
      Path model;
      if (given != null && !given.isBlank()) {
        model = Path.of(given);
      } else {
        long t = System.nanoTime();
        model = TinyModel.write(work.resolve("random-50m"), 32000, 512, 8, 8, 1408, 2048, 1);
        print("wrote random model in %.1f s", (System.nanoTime() - t) / 1e9);
      }
      run(model, work);
    } finally {
      report.write("server-throughput.txt");
      TinyModel.delete(work);
    }
  }

  void run(Path model, Path work) throws Exception {
    JsonNode config = JSON.readTree(model.resolve("config.json").toFile());
    long weightBytes = weightBytes(model);
    print("== Kamado server throughput: %s (%s, hidden %d, layers %d, vocab %d; %.1fM parameters, %.0f MB of F32"
        + " weights)", model.getFileName(), config.path("model_type").asText(), config.path("hidden_size").asInt(),
        config.path("num_hidden_layers").asInt(), config.path("vocab_size").asInt(), weightBytes / 4e6,
        weightBytes / 1e6);
    double bandwidth = MemoryBandwidth.measure();
    double bound = bandwidth / weightBytes;
    print("memory bandwidth (1 thread, sequential read): %.2f GB/s -> bound %.1f tokens/s for one stream", bandwidth
        / 1e9, bound);

    Process server = startServer(model, work);
    try {
      int port = awaitPort(server, work);
      awaitReady(port);
      Files.readAllLines(work.resolve("server.log")).stream()
          .filter(l -> l.contains("warm-up: ") || l.contains("ready: serving"))
          .forEach(l -> print("server %s", l.substring(l.contains("warm-up: ") ? l.indexOf("warm-up: ")
              : l.indexOf("ready: serving"))));
      print("load average at start: %s", loadAverage());
      try (LoadGenerator completions = new LoadGenerator(URI.create("http://127.0.0.1:" + port + "/v1/completions"));
          LoadGenerator chat = new LoadGenerator(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))) {
        phases(server, model, work, bound, completions, chat);
      }
    } finally {
      server.destroy();
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private void phases(Process server, Path model, Path work, double bound, LoadGenerator completions,
      LoadGenerator chat) throws Exception {
    // The server's warm-up compiled the engine; this compiles the HTTP path (requests, SSE chunks, the client's).
    completions.run(4, 8, PHASE_SECONDS, i -> completionBody(i, 16));

    long cpu = serverCpuNanos(server);
    LoadGenerator.Result single = completions.run(1, 3, PHASE_SECONDS, i -> completionBody(i, SINGLE_TOKENS));
    double singleDecode = single.decodeTokensPerSecond();
    print("single stream: decode %.1f tokens/s (%d requests x %d tokens, %.1f s), end to end %.1f tokens/s, TTFT"
        + " %.1f ms; server CPU %.2f ms per token", singleDecode, single.samples().size(), SINGLE_TOKENS,
        single.wallSeconds(), single.tokensPerSecond(), single.ttft(0.5) * 1000,
        cpuMillisPerToken(server, cpu, single));
    print("single stream vs memory-bandwidth bound: %.0f%% (%.1f of %.1f tokens/s)", 100 * singleDecode / bound,
        singleDecode, bound);

    double[] aggregate = new double[4];
    double[] cpuPerToken = new double[4];
    int[] levels = {1, 4, 16, 64};
    for (int l = 0; l < levels.length; l++) {
      int c = levels[l];
      cpu = serverCpuNanos(server);
      long client = clientCpuNanos();
      LoadGenerator.Result r = completions.run(c, Math.max(c * 2, 4), PHASE_SECONDS,
          i -> completionBody(i, LOAD_TOKENS));
      double clientCpu = clientCpuMillisPerToken(client, r);
      double serverCpu = cpuMillisPerToken(server, cpu, r);
      aggregate[l] = r.tokensPerSecond();
      cpuPerToken[l] = serverCpu + clientCpu;
      print("concurrency %2d: %6.1f tokens/s aggregate (%d requests x %d tokens, %.1f s); TTFT p50 %.0f ms, p99 %.0f"
          + " ms; per-request decode %.1f tokens/s; CPU per token: server %.2f ms, load generator %.2f ms", c,
          r.tokensPerSecond(), r.samples().size(), LOAD_TOKENS, r.wallSeconds(), r.ttft(0.5) * 1000,
          r.ttft(0.99) * 1000, r.decodeTokensPerSecond(), serverCpu, clientCpu);
    }
    print("aggregate at concurrency 16 / own single stream (concurrency 1): %.2fx (goal >= 3x)",
        aggregate[2] / aggregate[0]);
    // The server and the load generator share this machine's cores: at concurrency 16 they cannot go faster than the
    // cores divided by the CPU time they spend per token together, whatever the scheduling.
    int cores = Runtime.getRuntime().availableProcessors();
    double ceiling = cores * 1000 / cpuPerToken[2];
    print("CPU ceiling at concurrency 16 on this machine: %d cores / %.3f ms per token (server and load generator)"
        + " = %.0f tokens/s = %.2fx concurrency 1; measured %.0f%% of it", cores, cpuPerToken[2], ceiling,
        ceiling / aggregate[0], 100 * aggregate[2] / ceiling);

    // Schema cost. First visits: schemas the server has not seen, 8 requests each at concurrency 1, against the same
    // requests free at equal token counts; every automaton state's first mask is computed then. Two new schemas one
    // after the other: the first also runs constrained requests' code for the first time in this server since its
    // warm-up, the second shows the cost of a new schema's masks alone. Then the same for 8 more new schemas, pooled
    // with the first two (80 requests on each side): on a fast model 8 short requests are too few to resolve 15%.
    List<LoadGenerator.Sample> pooledCold = new ArrayList<>();
    List<LoadGenerator.Sample> pooledFree = new ArrayList<>();
    List<LoadGenerator.Sample> pooledAgain = new ArrayList<>();
    for (int k = 1; k <= FIRST_VISIT_SCHEMAS; k++) {
      JsonNode coldSchema = triageSchema(400 + k);
      long seed = 10_000L * k;
      LoadGenerator.Result cold = chat.run(1, 8, i -> chatBody(i, seed + i, coldSchema, 2 * LOAD_TOKENS));
      LoadGenerator.Result coldFree = chat.run(1, 8,
          i -> chatBody(i, seed + i, null, cold.samples().get(i).completionTokens()));
      // the same constrained requests again: same tokens (seeded), every state and mask now cached
      LoadGenerator.Result again = chat.run(1, 8, i -> chatBody(i, seed + i, coldSchema, 2 * LOAD_TOKENS));
      pooledCold.addAll(cold.samples());
      pooledFree.addAll(coldFree.samples());
      pooledAgain.addAll(again.samples());
      if (k > 2) {
        continue;
      }
      print("schema first visits, new schema %d (8 requests at concurrency 1, %.0f tokens each): inter-token decode"
          + " %.1f tokens/s free vs %.1f constrained -> cost %.1f%%; the same constrained requests again (states"
          + " cached): %.1f tokens/s -> cost %.1f%%", k, cold.meanCompletionTokens(),
          coldFree.interTokenTokensPerSecond(), cold.interTokenTokensPerSecond(),
          100 * (1 - cold.interTokenTokensPerSecond() / coldFree.interTokenTokensPerSecond()),
          again.interTokenTokensPerSecond(),
          100 * (1 - again.interTokenTokensPerSecond() / coldFree.interTokenTokensPerSecond()));
    }
    double pooledFreeRate = new LoadGenerator.Result(1, pooledFree, 0).interTokenTokensPerSecond();
    double firstRate = new LoadGenerator.Result(1, pooledCold, 0).interTokenTokensPerSecond();
    double cachedRate = new LoadGenerator.Result(1, pooledAgain, 0).interTokenTokensPerSecond();
    print("schema first visits, pooled over %d new schemas (%d requests on each side, concurrency 1): inter-token"
        + " decode %.1f tokens/s free vs %.1f at first visits -> cost %.1f%% (goal <= 15%%); the same requests with"
        + " states cached %.1f -> cost %.1f%%", FIRST_VISIT_SCHEMAS, pooledCold.size(), pooledFreeRate, firstRate,
        100 * (1 - firstRate / pooledFreeRate), cachedRate, 100 * (1 - cachedRate / pooledFreeRate));

    // Steady state: the bench's schema, warmed up by a phase of its own (new answers, new seeds), then measured at
    // concurrency 1 and 16 with new seeds again. The first figure compares free answers of 2 x LOAD_TOKENS tokens
    // with constrained ones, which end when their JSON is complete (often far sooner), so per-request costs weigh on
    // fewer tokens on the constrained side. The second compares equal token counts: each free request is cut
    // (max_tokens) to the length of the same constrained request, so both sides have the same requests, tokens,
    // prompts and KV lengths, and only the constraint differs.
    JsonNode schemaNode = triageSchema(400);
    chat.run(16, 32, PHASE_SECONDS, i -> chatBody(i, 20_000 + i, schemaNode, 2 * LOAD_TOKENS));
    int phase = 0;
    for (int c : new int[] {1, 16}) {
      long seed = 100_000L * ++phase;
      long before = serverCpuNanos(server);
      LoadGenerator.Result free = chat.run(c, Math.max(c * 2, 4), PHASE_SECONDS,
          i -> chatBody(i, seed + i, null, 2 * LOAD_TOKENS));
      double freeCpu = cpuMillisPerToken(server, before, free);
      before = serverCpuNanos(server);
      LoadGenerator.Result schema = chat.run(c, Math.max(c * 2, 4), PHASE_SECONDS,
          i -> chatBody(i, seed + i, schemaNode, 2 * LOAD_TOKENS));
      double schemaCpu = cpuMillisPerToken(server, before, schema);
      print("schema cost at concurrency %2d: %.1f tokens/s free vs %.1f constrained (per-request decode %.1f vs"
          + " %.1f) -> cost %.1f%%; server CPU per token %.3f vs %.3f ms -> %.1f%% (%d vs %d requests, answers of"
          + " %.0f vs %.0f tokens)", c, free.tokensPerSecond(), schema.tokensPerSecond(),
          free.decodeTokensPerSecond(), schema.decodeTokensPerSecond(),
          100 * (1 - schema.decodeTokensPerSecond() / free.decodeTokensPerSecond()), freeCpu, schemaCpu,
          100 * (schemaCpu / freeCpu - 1), free.samples().size(), schema.samples().size(),
          free.meanCompletionTokens(), schema.meanCompletionTokens());
      before = serverCpuNanos(server);
      LoadGenerator.Result equal = chat.run(c, schema.samples().size(),
          i -> chatBody(i, seed + i, null, schema.samples().get(i).completionTokens()));
      double equalCpu = cpuMillisPerToken(server, before, equal);
      print("schema cost at concurrency %2d, steady state, equal token counts (%.0f per request): inter-token decode"
          + " %.1f tokens/s free vs %.1f constrained -> cost %.1f%% (goal <= 15%%); aggregate %.1f vs %.1f tokens/s"
          + " -> %.1f%%; server CPU per token %.3f vs %.3f ms -> %.1f%%", c, schema.meanCompletionTokens(),
          equal.interTokenTokensPerSecond(), schema.interTokenTokensPerSecond(),
          100 * (1 - schema.interTokenTokensPerSecond() / equal.interTokenTokensPerSecond()),
          equal.tokensPerSecond(), schema.tokensPerSecond(),
          100 * (1 - schema.tokensPerSecond() / equal.tokensPerSecond()), equalCpu, schemaCpu,
          100 * (schemaCpu / equalCpu - 1));
    }

    print("load average after the server phases: %s", loadAverage());
    reference(model, work, singleDecode, single.tokensPerSecond(), aggregate);
  }

  void reference(Path model, Path work, double singleDecode, double singleEndToEnd, double[] aggregate)
      throws Exception {
    String python = System.getProperty("kamado.reference.python");
    if (python == null || python.isBlank()) {
      python = Path.of(System.getProperty("user.home"), ".cache", "kamado", "reference-venv", "bin", "python")
          .toString();
    }
    Path script = Path.of("..", "hack", "reference", "generate_bench_transformers.py");
    if (!Files.isExecutable(Path.of(python)) || !Files.exists(script)) {
      print("transformers reference: skipped (no reference venv at %s; run hack/reference/setup-venv.sh)", python);
      return;
    }
    List<int[]> ids = new ArrayList<>();
    try (TextTokenizer tokenizer = TextTokenizer.load(model)) {
      for (String p : PROMPTS) {
        ids.add(tokenizer.encode(p, true));
      }
    }
    Path prompts = work.resolve("prompts.json");
    Files.writeString(prompts, JSON.writeValueAsString(ids));
    List<String> command = List.of(python, script.toString(), "--model", model.toString(), "--prompts",
        prompts.toString(), "--max-new-tokens", Integer.toString(LOAD_TOKENS), "--batch-sizes", "4,16", "--threads",
        System.getenv().getOrDefault("KAMADO_TORCH_THREADS", "1"));
    Path log = work.resolve("reference.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(false).redirectError(log.toFile()).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (process.waitFor() != 0) {
      print("transformers reference failed: %s", Files.readString(log));
      return;
    }
    JsonNode ref = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
    double refDecode = ref.path("single").path("decode_tokens_per_s").asDouble();
    double refSingle = ref.path("single").path("tokens_per_s").asDouble();
    print("transformers %s generate (torch %s, %d thread(s), %d new tokens): single decode %.1f tokens/s, end to end"
        + " %.1f tokens/s; batched 4: %.1f, batched 16: %.1f tokens/s",
        ref.path("versions").path("transformers").asText(), ref.path("versions").path("torch").asText(),
        ref.path("threads").asInt(), ref.path("max_new_tokens").asInt(), refDecode, refSingle,
        ref.path("batched").path("4").path("tokens_per_s").asDouble(),
        ref.path("batched").path("16").path("tokens_per_s").asDouble());
    print("ratio Kamado / transformers: single-stream decode %.2fx (goal >= 1.0x), end to end %.2fx; concurrency 4 vs"
        + " batch 4: %.2fx; concurrency 16 vs batch 16: %.2fx", singleDecode / refDecode, singleEndToEnd / refSingle,
        aggregate[1] / ref.path("batched").path("4").path("tokens_per_s").asDouble(),
        aggregate[2] / ref.path("batched").path("16").path("tokens_per_s").asDouble());
  }

  /** New schemas whose first visits are measured (each 8 requests constrained, free, and constrained again). */
  static final int FIRST_VISIT_SCHEMAS = 10;

  static String completionBody(int i, int maxTokens) {
    ObjectNode body = JSON.createObjectNode();
    body.put("prompt", PROMPTS.get(i % PROMPTS.size()));
    body.put("max_tokens", maxTokens);
    body.put("temperature", 0);
    body.put("ignore_eos", true);
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    return body.toString();
  }

  /**
   * A chat request: prompt {@code i}, sampled with {@code seed}, constrained by {@code schema} (null = free text).
   */
  static String chatBody(int i, long seed, JsonNode schema, int maxTokens) {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("messages").addObject().put("role", "user").put("content", PROMPTS.get(i % PROMPTS.size()));
    body.put("max_tokens", maxTokens);
    body.put("temperature", 0.8);
    body.put("seed", seed);
    body.put("ignore_eos", true);
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    if (schema != null) {
      ObjectNode format = body.putObject("response_format");
      format.put("type", "json_schema");
      format.putObject("json_schema").put("name", "triage").set("schema", schema);
    }
    return body.toString();
  }

  /** The bench's triage schema; {@code summaryMaxLength} tells schemas apart (each is compiled and cached alone). */
  static JsonNode triageSchema(int summaryMaxLength) {
    ObjectNode s = JSON.createObjectNode();
    s.put("type", "object");
    ObjectNode props = s.putObject("properties");
    props.putObject("category").putArray("enum").add("billing").add("it").add("hr").add("facilities");
    props.putObject("urgency").put("type", "integer").put("minimum", 1).put("maximum", 5);
    props.putObject("summary").put("type", "string").put("minLength", 40).put("maxLength", summaryMaxLength);
    s.putArray("required").add("category").add("urgency").add("summary");
    s.put("additionalProperties", false);
    return s;
  }

  /** The 1, 5 and 15 minute load averages from /proc/loadavg, or "n/a". */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** CPU time the server process has used so far (all its threads), in nanoseconds; -1 when unknown. */
  static long serverCpuNanos(Process server) {
    return server.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  /**
   * Server CPU milliseconds per generated token since {@code before}: what a phase costs the server whatever else runs
   * on the machine (wall-clock rates on a shared machine also depend on the share of the cores the server gets).
   */
  static double cpuMillisPerToken(Process server, long before, LoadGenerator.Result result) {
    long now = serverCpuNanos(server);
    int tokens = result.samples().stream().mapToInt(LoadGenerator.Sample::completionTokens).sum();
    return before < 0 || now < 0 || tokens == 0 ? Double.NaN : (now - before) / 1e6 / tokens;
  }

  /** CPU time of this process (the load generator) so far, in nanoseconds; -1 when unknown. */
  static long clientCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : -1L;
  }

  /** This process's (the load generator's) CPU milliseconds per generated token since {@code before}. */
  static double clientCpuMillisPerToken(long before, LoadGenerator.Result result) {
    long now = clientCpuNanos();
    int tokens = result.samples().stream().mapToInt(LoadGenerator.Sample::completionTokens).sum();
    return before < 0 || now < 0 || tokens == 0 ? Double.NaN : (now - before) / 1e6 / tokens;
  }

  static long weightBytes(Path model) throws IOException {
    try (Stream<Path> files = Files.list(model)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length())
          .sum();
    }
  }

  static Process startServer(Path model, Path work) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // extra JVM options for the server, such as -XX:StartFlightRecording=filename=/tmp/server.jfr to profile it
    String jvmArgs = System.getProperty("kamado.bench.server.jvm", "");
    for (String arg : jvmArgs.trim().split("\\s+")) {
      if (!arg.isEmpty()) {
        command.add(arg);
      }
    }
    command.addAll(List.of("--add-modules", "jdk.incubator.vector", "-jar", Path.of("target", "kamado-server.jar").toAbsolutePath().toString(), "--model",
        model.toString(), "--port", "0", "--host", "127.0.0.1", "--max-running", "64", "--max-waiting", "1024",
        "--max-model-len", "1024", "--decode-mode", System.getProperty("kamado.bench.decode.mode", "java"),
        "--decode-threads", System.getProperty("kamado.bench.decode.threads", "auto")));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile())
        .start();
  }

  static int awaitPort(Process server, Path work) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      String log = Files.readString(work.resolve("server.log"));
      Matcher m = LISTENING.matcher(log);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      if (!server.isAlive()) {
        throw new IllegalStateException("server exited: " + log);
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("server did not start");
  }

  static void awaitReady(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("server not ready");
  }
}
