package dev.kamado.server;

import dev.kamado.server.config.ConfigException;
import dev.kamado.server.config.ServerConfig;
import dev.kamado.server.config.Setting;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar kamado-server.jar --model DIR --port N}: the command line. Every flag can also come from the
 * environment ({@code KAMADO_SERVER_<FLAG>}) or a configuration file ({@code --config FILE}, JSON or YAML); flags win
 * over the environment, which wins over the file.
 *
 * <p>Exit codes: 0 after a clean shutdown (SIGTERM), 2 for invalid flags or configuration, 3 for a model that cannot
 * be served (missing files, digest mismatch), 1 for anything else.
 */
@Command(name = "kamado-server", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    sortOptions = false,
    description = "OpenAI-compatible inference server for Kamado models (continuous batching, streaming, JSON Schema"
        + " constrained output).%nEvery option can also be set as environment variable KAMADO_SERVER_<OPTION> "
        + "(for example KAMADO_SERVER_MAX_RUNNING) or in the --config file (key max-running); flags win over the "
        + "environment, which wins over the file.",
    footer = "%nExit codes: 0 clean shutdown, 2 invalid configuration, 3 model cannot be served, 1 other failure.")
public final class Main implements Callable<Integer> {

  /** Exit code for invalid flags or configuration. */
  public static final int EXIT_CONFIG = 2;
  /** Exit code for a model that cannot be served. */
  public static final int EXIT_MODEL = 3;

  @Option(names = "--model", paramLabel = "DIR",
      description = "Model folder: a full model (config.json, model.safetensors, tokenizer.json) or a LoRA adapter "
          + "folder whose adapter_config.json names its base (base_model_name_or_path).")
  String model;

  @Option(names = "--adapter", paramLabel = "DIR", description = "LoRA adapter folder applied on top of --model.")
  String adapter;

  @Option(names = "--host", paramLabel = "ADDR", description = "Address to listen on (default 0.0.0.0).")
  String host;

  @Option(names = "--port", paramLabel = "N", description = "Port to listen on; 0 = any free port (default 8000).")
  String port;

  @Option(names = "--served-model-name", paramLabel = "NAME",
      description = "Model name in responses and /v1/models (default: the model folder's name).")
  String servedModelName;

  @Option(names = "--schema", paramLabel = "FILE",
      description = "JSON Schema enforced on every response whose request does not ask for its own JSON format.")
  String schema;

  @Option(names = "--max-running", paramLabel = "N", description = "Most sequences decoded together (default 32).")
  String maxRunning;

  @Option(names = "--max-waiting", paramLabel = "N",
      description = "Most requests waiting for a slot; more get 429 (default 256).")
  String maxWaiting;

  @Option(names = "--max-model-len", paramLabel = "N",
      description = "Context length, prompt plus completion; 0 = the model's max_position_embeddings (default 0).")
  String maxModelLen;

  @Option(names = "--default-max-tokens", paramLabel = "N",
      description = "max_tokens of a request that gives none, capped by the context left (default 512).")
  String defaultMaxTokens;

  @Option(names = "--default-temperature", paramLabel = "T",
      description = "temperature when a request gives none; 0 = greedy (default 1.0).")
  String defaultTemperature;

  @Option(names = "--default-top-p", paramLabel = "P",
      description = "top_p when a request gives none (default 1.0).")
  String defaultTopP;

  @Option(names = "--default-stop", paramLabel = "JSON",
      description = "Stop strings when a request gives none: a JSON array such as '[\"\\n\\n\"]' (or one plain "
          + "string).")
  String defaultStop;

  @Option(names = "--volumes-dir", paramLabel = "DIR",
      description = "Where PersistentVolumeClaims are mounted: an adapter's base pvc://claim/path is read from "
          + "DIR/claim/path (default /kamado/volumes).")
  String volumesDir;

  @Option(names = "--decode-mode", paramLabel = "MODE",
      description = "How decode steps are computed: java (the whole step in Java; default), rows, batched or per-row "
          + "(libtorch). All are batch-invariant; see the README for their speeds.")
  String decodeMode;

  @Option(names = "--decode-threads", paramLabel = "N",
      description = "Threads a decode step of two or more sequences is split over in decode mode java: a number, or "
          + "auto (default: 2 when at least 2 processors are available, else 1). Answers are the same for any value.")
  String decodeThreads;

  @Option(names = "--max-prefill-tokens", paramLabel = "N",
      description = "Prompt tokens prefilled per engine step before running sequences decode again (default 2048).")
  String maxPrefillTokens;

  @Option(names = "--grace-period", paramLabel = "DURATION",
      description = "Time in-flight requests get to finish after SIGTERM, such as 30s (default 30s).")
  String gracePeriod;

  @Option(names = "--warmup-delay", paramLabel = "DURATION",
      description = "Extra wait after warm-up before reporting ready; for tests (default 0s).")
  String warmupDelay;

  @Option(names = "--warmup-steps", paramLabel = "N",
      description = "Tokens per stream the warm-up generates before ready (one stream, then several together, then "
          + "under a schema) so the decode loops are compiled; 0 = no warm-up (default 256).")
  String warmupSteps;

  @Option(names = "--warmup-timeout", paramLabel = "DURATION",
      description = "Longest the warm-up may take before the server reports ready anyway (default 20s).")
  String warmupTimeout;

  @Option(names = "--verify-digests", paramLabel = "BOOL",
      description = "Check the sha256 digests in kamado-manifest.json (default true).")
  String verifyDigests;

  @Option(names = "--max-request-bytes", paramLabel = "N",
      description = "Largest request body in bytes (default 4194304).")
  String maxRequestBytes;

  @Option(names = "--prepare-engine", hidden = true,
      description = "Extract libtorch into the engine cache folder and exit (image build step).")
  boolean prepareEngine;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file (JSON or YAML map of the options above, such as 'max-running: 16'). "
          + "Environment: KAMADO_SERVER_CONFIG.")
  String config;

  /** Runs the server; returns the exit code. */
  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
    System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "warn");
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.setParameterExceptionHandler((e, a) -> {
      System.err.println("kamado-server: " + e.getMessage());
      System.err.println("Run with --help for the options.");
      return EXIT_CONFIG;
    });
    int code;
    try {
      code = commandLine.execute(args);
    } catch (Throwable t) { // an Error picocli passes on: exit rather than linger with Vert.x threads and no engine
      System.err.println("kamado-server: fatal: " + t);
      t.printStackTrace();
      code = 1;
    }
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() {
    if (prepareEngine) {
      dev.kamado.model.Engines.pytorch();
      System.out.println("libtorch ready in " + dev.kamado.model.Engines.nativeLibraryDir());
      return 0;
    }
    ServerConfig resolved;
    try {
      String configFile = config != null ? config : System.getenv("KAMADO_SERVER_CONFIG");
      resolved = ServerConfig.resolve(flags(), System.getenv(),
          configFile == null || configFile.isBlank() ? null : Path.of(configFile));
    } catch (ConfigException e) {
      System.err.println("kamado-server: " + e.getMessage());
      return EXIT_CONFIG;
    }
    return new ServerProcess(resolved).run();
  }

  private Map<Setting, String> flags() {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    put(flags, Setting.MODEL, model);
    put(flags, Setting.ADAPTER, adapter);
    put(flags, Setting.HOST, host);
    put(flags, Setting.PORT, port);
    put(flags, Setting.SERVED_MODEL_NAME, servedModelName);
    put(flags, Setting.SCHEMA, schema);
    put(flags, Setting.MAX_RUNNING, maxRunning);
    put(flags, Setting.DEFAULT_TEMPERATURE, defaultTemperature);
    put(flags, Setting.DEFAULT_TOP_P, defaultTopP);
    put(flags, Setting.DEFAULT_STOP, defaultStop);
    put(flags, Setting.VOLUMES_DIR, volumesDir);
    put(flags, Setting.MAX_WAITING, maxWaiting);
    put(flags, Setting.MAX_MODEL_LEN, maxModelLen);
    put(flags, Setting.DEFAULT_MAX_TOKENS, defaultMaxTokens);
    put(flags, Setting.MAX_PREFILL_TOKENS, maxPrefillTokens);
    put(flags, Setting.DECODE_MODE, decodeMode);
    put(flags, Setting.DECODE_THREADS, decodeThreads);
    put(flags, Setting.GRACE_PERIOD, gracePeriod);
    put(flags, Setting.WARMUP_DELAY, warmupDelay);
    put(flags, Setting.WARMUP_STEPS, warmupSteps);
    put(flags, Setting.WARMUP_TIMEOUT, warmupTimeout);
    put(flags, Setting.VERIFY_DIGESTS, verifyDigests);
    put(flags, Setting.MAX_REQUEST_BYTES, maxRequestBytes);
    return flags;
  }

  private static void put(Map<Setting, String> flags, Setting setting, String value) {
    if (value != null) {
      flags.put(setting, value);
    }
  }

  /** The jar's version for --version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"kamado-server " + (version == null ? "dev" : version)};
    }
  }
}
