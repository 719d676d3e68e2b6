package dev.kamado.server.config;

import java.util.Locale;

/**
 * Every server setting: its flag name (also the key in a configuration file), environment variable and default.
 * Precedence: flag, then environment variable, then configuration file, then default.
 */
public enum Setting {
  /** Model folder. */
  MODEL("model", null),
  /** LoRA adapter folder applied on top of the model. */
  ADAPTER("adapter", null),
  /** Address to listen on. */
  HOST("host", "0.0.0.0"),
  /** Port to listen on. */
  PORT("port", "8000"),
  /** Name reported by /v1/models and in responses. */
  SERVED_MODEL_NAME("served-model-name", null),
  /** JSON Schema file enforced on every response that does not ask for its own format. */
  SCHEMA("schema", null),
  /** Most sequences decoded together. */
  MAX_RUNNING("max-running", "32"),
  /** Most requests waiting for a slot before 429. */
  MAX_WAITING("max-waiting", "256"),
  /** Context length (prompt plus completion); 0 = the model's max_position_embeddings. */
  MAX_MODEL_LEN("max-model-len", "0"),
  /** max_tokens when a request gives none (capped by the context left). */
  DEFAULT_MAX_TOKENS("default-max-tokens", "512"),
  /** temperature when a request gives none (0 = greedy, at most 2). */
  DEFAULT_TEMPERATURE("default-temperature", "1.0"),
  /** top_p when a request gives none (greater than 0, at most 1). */
  DEFAULT_TOP_P("default-top-p", "1.0"),
  /** Stop strings when a request gives none: a JSON array of strings such as {@code ["\n\n", "END"]}. */
  DEFAULT_STOP("default-stop", null),
  /** Prompt tokens prefilled per engine step before the running batch decodes again. */
  MAX_PREFILL_TOKENS("max-prefill-tokens", "2048"),
  /** How long in-flight requests may take to finish after SIGTERM. */
  GRACE_PERIOD("grace-period", "30s"),
  /** Extra wait after warm-up before the server reports ready (for tests of the not-ready state). */
  WARMUP_DELAY("warmup-delay", "0s"),
  /**
   * Tokens per stream the warm-up generates before ready (one stream, then a few together, then constrained ones), so
   * that the JIT has compiled the decode loops; 0 = no warm-up.
   */
  WARMUP_STEPS("warmup-steps", "256"),
  /** Longest the warm-up may take; it stops early when this passes. */
  WARMUP_TIMEOUT("warmup-timeout", "20s"),
  /** Whether to check the sha256 digests of kamado-manifest.json. */
  VERIFY_DIGESTS("verify-digests", "true"),
  /**
   * Where the operator mounts PersistentVolumeClaims: an adapter's {@code base_model_name_or_path} of
   * {@code pvc://claim/path} is read from {@code <volumes-dir>/claim/path}.
   */
  VOLUMES_DIR("volumes-dir", "/kamado/volumes"),
  /** Largest request body in bytes. */
  MAX_REQUEST_BYTES("max-request-bytes", "4194304"),
  /**
   * How the model core computes a decode step: {@code java} (whole step in Java, the default), {@code rows},
   * {@code batched} or {@code per-row} (libtorch); every one is batch-invariant (see server-image/README.md).
   */
  DECODE_MODE("decode-mode", "java"),
  /**
   * Threads a decode step of two or more sequences is split over in decode mode {@code java}: a number from 1, or
   * {@code auto} (2 when the JVM sees at least 2 processors, else 1). Results do not depend on it.
   */
  DECODE_THREADS("decode-threads", "auto");

  private final String key;
  private final String defaultValue;

  Setting(String key, String defaultValue) {
    this.key = key;
    this.defaultValue = defaultValue;
  }

  /** Flag name without dashes, and key in a configuration file. */
  public String key() {
    return key;
  }

  /** The flag, such as {@code --max-running}. */
  public String flag() {
    return "--" + key;
  }

  /** The environment variable, such as {@code KAMADO_SERVER_MAX_RUNNING}. */
  public String envVar() {
    return "KAMADO_SERVER_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The default value, or null when there is none. */
  public String defaultValue() {
    return defaultValue;
  }

  /** The setting whose key matches {@code name} ignoring case, dashes and underscores, or null. */
  public static Setting byKey(String name) {
    String wanted = normalize(name);
    for (Setting setting : values()) {
      if (normalize(setting.key).equals(wanted)) {
        return setting;
      }
    }
    return null;
  }

  private static String normalize(String name) {
    return name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
  }
}
