package dev.kamado.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.server.config.ServerConfig;
import dev.kamado.server.constraint.ResponseConstraints;
import dev.kamado.server.engine.Engine;
import dev.kamado.server.engine.EngineSettings;
import dev.kamado.server.engine.EngineWarmup;
import dev.kamado.server.engine.SwitchableMetrics;
import dev.kamado.server.engine.TokenConstraint;
import dev.kamado.server.http.ApiServer;
import dev.kamado.server.http.RequestDefaults;
import dev.kamado.server.http.Serving;
import dev.kamado.server.metrics.ServerMetrics;
import dev.kamado.server.model.InvalidModelException;
import dev.kamado.server.model.LlamaLanguageModel;
import dev.kamado.server.model.LoadedModel;
import dev.kamado.server.model.ModelLoader;
import dev.kamado.server.schema.UnsupportedSchemaException;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * One server run: listen at once (503 until ready), load and verify the model, warm up, serve; on SIGTERM or SIGINT
 * stop accepting, let in-flight requests finish within the grace period, and exit 0.
 */
final class ServerProcess {

  private static final Logger LOG = LoggerFactory.getLogger(ServerProcess.class);
  /** Streams decoded together in the warm-up's batched phase. */
  private static final int WARMUP_WIDTH = 4;

  private final ServerConfig config;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final AtomicReference<Engine> engine = new AtomicReference<>();

  ServerProcess(ServerConfig config) {
    this.config = config;
  }

  /** Runs until shutdown; returns the exit code. */
  int run() {
    JsonNode defaultSchema = null;
    if (config.schema() != null) {
      try {
        defaultSchema = ResponseConstraints.readSchemaFile(config.schema());
      } catch (IOException e) {
        System.err.println("kamado-server: --schema: " + e.getMessage());
        return Main.EXIT_CONFIG;
      }
    }
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());

    Vertx vertx = Vertx.vertx();
    ServerMetrics metrics = new ServerMetrics(() -> running(), () -> waiting());
    metrics.ready(false);
    ApiServer api = new ApiServer(vertx, metrics, config.maxRequestBytes());
    int port;
    try {
      port = api.listen(config.host(), config.port()).toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      System.err.println("kamado-server: cannot listen on " + config.host() + ":" + config.port() + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
      vertx.close();
      return Main.EXIT_CONFIG;
    }
    LOG.info("listening on {}:{} (not ready until the model is loaded)", config.host(), port);

    long start = System.nanoTime();
    LoadedModel model;
    ResponseConstraints constraints;
    try {
      model = ModelLoader.load(config);
    } catch (InvalidModelException e) {
      System.err.println("kamado-server: " + e.getMessage());
      vertx.close();
      return Main.EXIT_MODEL;
    }
    try {
      constraints = new ResponseConstraints(model.tokenBytes(), model.endOfSequenceIds(), defaultSchema);
    } catch (UnsupportedSchemaException e) {
      System.err.println("kamado-server: --schema " + config.schema() + ": " + e.getMessage());
      model.model().close();
      vertx.close();
      return Main.EXIT_CONFIG;
    }
    // Warm-up generations are not requests: the engine's metrics count only what comes after ready.
    SwitchableMetrics engineMetrics = new SwitchableMetrics(metrics);
    Engine started = new Engine(model.model(), model::newDetokenizer, model.generatableIds(), model.endOfSequenceIds(),
        new EngineSettings(config.maxRunning(), config.maxWaiting(), config.maxPrefillTokens()), engineMetrics);
    engine.set(started);
    started.start();
    LOG.info("model {} loaded in {} ms from {}{} ({}: {} layers, hidden {}, vocab {}; context {} tokens)",
        model.name(), (System.nanoTime() - start) / 1_000_000, model.folders().base(),
        model.folders().adapter() == null ? "" : " with adapter " + model.folders().adapter(),
        model.config().modelType(), model.config().numHiddenLayers(), model.config().hiddenSize(),
        model.config().vocabSize(), started.contextLength());
    try {
      warmUp(started, model, constraints);
      if (started.failure() != null) {
        System.err.println("kamado-server: the engine failed during the warm-up: " + started.failure());
        started.close();
        vertx.close();
        return Main.EXIT_MODEL;
      }
      if (stop.await(config.warmupDelay().toMillis(), TimeUnit.MILLISECONDS)) {
        return shutdown(vertx, api, started);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (RuntimeException e) {
      System.err.println("kamado-server: warm-up failed: " + e.getMessage());
      started.close();
      vertx.close();
      return Main.EXIT_MODEL;
    }
    // Before ready: this also makes the decode weight copies when the warm-up ran no step (--warmup-steps 0).
    String decodeMode = model.model() instanceof LlamaLanguageModel llama ? llama.decodeMode().toString()
        + (llama.decodeMode() == LlamaModel.DecodeMode.JAVA ? ", " + config.decodeThreads() + " decode thread(s), "
            + LlamaModel.javaDecodeKernel() + " kernel" : "")
        : "n/a";
    engineMetrics.enable();
    api.ready(new Serving(model.name(), started, model.tokenizer(), constraints,
        new RequestDefaults(config.defaultMaxTokens(), config.defaultTemperature(), config.defaultTopP(),
            config.defaultStop())));
    LOG.info("ready: serving {} on port {} (decode: {})", model.name(), port, decodeMode);
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    api.drain();
    return shutdown(vertx, api, started);
  }

  private int shutdown(Vertx vertx, ApiServer api, Engine started) {
    api.drain();
    started.stopAccepting();
    LOG.info("shutting down: {} running, {} waiting; grace period {}", started.running(), started.waiting(),
        config.gracePeriod());
    try {
      if (!started.awaitIdle(config.gracePeriod())) {
        LOG.warn("grace period over with {} requests in flight; ending them", started.running() + started.waiting());
      }
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    started.close();
    try {
      api.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing the HTTP server: {}", e.toString());
    }
    LOG.info("stopped");
    return 0;
  }

  /** Random generations that fill the default schema's mask caches in the warm-up (bounded by time too). */
  private static final int PREWARM_GENERATIONS = 64;
  /** Random generations under {@link #JIT_SCHEMA} in the warm-up (bounded by time too). */
  private static final int JIT_GENERATIONS = 48;
  /**
   * A sample of the keywords answers are constrained by (enum, bounded integer, strings with and without length
   * bounds, boolean, array, nested object), run by random generations in the warm-up so that the JIT compiles the
   * schema code before the first request with a schema.
   */
  private static final String JIT_SCHEMA = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"jit\", "
      + "\"schema\": {\"type\": \"object\", \"additionalProperties\": false, "
      + "\"required\": [\"kind\", \"level\", \"text\", \"flag\", \"tags\", \"more\"], \"properties\": {"
      + "\"kind\": {\"enum\": [\"alpha\", \"beta\", \"gamma\"]}, "
      + "\"level\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 9}, "
      + "\"text\": {\"type\": \"string\", \"minLength\": 24, \"maxLength\": 120}, "
      + "\"flag\": {\"type\": \"boolean\"}, "
      + "\"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\", \"maxLength\": 12}, \"maxItems\": 3}, "
      + "\"more\": {\"type\": \"object\", \"additionalProperties\": false, "
      + "\"properties\": {\"n\": {\"type\": \"number\"}}}}}}}";

  /** A small schema of the kinds of values answers hold, run once in the warm-up to compile the constrained path. */
  private static final String WARMUP_SCHEMA = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"warmup\", "
      + "\"schema\": {\"type\": \"object\", \"additionalProperties\": false, "
      + "\"required\": [\"kind\", \"count\", \"ok\", \"note\"], \"properties\": {"
      + "\"kind\": {\"enum\": [\"a\", \"b\", \"c\"]}, \"count\": {\"type\": \"integer\"}, "
      + "\"ok\": {\"type\": \"boolean\"}, \"note\": {\"type\": \"string\"}}}}}";

  /**
   * Runs generations through the engine before ready (see {@link EngineWarmup}): free streams alone and together, and
   * constrained ones under a sample schema, {@code json_object} and the default schema if any.
   */
  private void warmUp(Engine engine, LoadedModel model, ResponseConstraints constraints) throws InterruptedException {
    int[] prompt = model.tokenizer().encode("Hello, warm-up.", true);
    if (prompt.length == 0) {
      prompt = new int[] {0};
    }
    List<TokenConstraint> constrained = new java.util.ArrayList<>();
    try {
      ObjectMapper json = new ObjectMapper();
      constrained.add(constraints.forRequest(json.readTree(WARMUP_SCHEMA)));
      constrained.add(constraints.forRequest(json.readTree("{\"type\": \"json_object\"}")));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    if (config.warmupSteps() > 0) {
      // The schema code (masks at first visits, cached masks, automaton steps) compiled by the JIT before the first
      // request with a schema, by random generations under a sample schema (no model involved).
      int room = Math.max(1, engine.contextLength() - prompt.length - 1);
      try {
        ResponseConstraints.Prewarm p = constraints.prewarm(new ObjectMapper().readTree(JIT_SCHEMA),
            JIT_GENERATIONS, Math.min(256, room), config.warmupTimeout().dividedBy(4));
        LOG.info("warm-up: schema code run by {} random generations under a sample schema in {} ms{}",
            p.generations(), p.millis(), p.timedOut() ? " (stopped at a quarter of --warmup-timeout)" : "");
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
    if (constraints.hasDefault()) {
      constrained.add(constraints.forRequest(null));
      if (config.warmupSteps() > 0) {
        int budget = Math.max(1, Math.min(config.defaultMaxTokens(), engine.contextLength() - prompt.length - 1));
        ResponseConstraints.Prewarm p = constraints.prewarm(null, PREWARM_GENERATIONS, budget,
            config.warmupTimeout().dividedBy(4));
        LOG.info("warm-up: default schema prewarmed by {} random generations of up to {} tokens in {} ms: {} automaton "
            + "states, {} masks{}", p.generations(), budget, p.millis(), p.states(), p.masks(),
            p.timedOut() ? " (stopped at a quarter of --warmup-timeout)" : "");
      }
    }
    int width = Math.min(WARMUP_WIDTH, Math.min(config.maxRunning(), config.maxWaiting()));
    EngineWarmup.Result result = EngineWarmup.run(engine, prompt, config.warmupSteps(), width, constrained,
        config.warmupTimeout());
    LOG.info("warm-up: {} tokens in {} generations ({} steps alone, then {} streams together, then {} constrained) in "
        + "{} ms{}", result.tokens(), result.requests(), config.warmupSteps(), result.width(), constrained.size(),
        result.millis(), result.timedOut() ? " (stopped at --warmup-timeout " + config.warmupTimeout() + ")" : "");
  }

  private int running() {
    Engine current = engine.get();
    return current == null ? 0 : current.running();
  }

  private int waiting() {
    Engine current = engine.get();
    return current == null ? 0 : current.waiting();
  }

}
