package dev.kamado.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kamado.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The server's resolved configuration.
 *
 * @param model model folder (a full model, or a LoRA adapter folder whose adapter_config.json names its base)
 * @param adapter LoRA adapter folder applied on top of {@code model}, or null
 * @param host address to listen on
 * @param port port to listen on (0 = any free port, printed at start)
 * @param servedModelName model name reported by the API, or null for the model folder's name
 * @param schema JSON Schema file enforced by default, or null
 * @param maxRunning most sequences decoded together
 * @param maxWaiting most requests waiting before 429
 * @param maxModelLen context length cap, 0 for the model's own
 * @param defaultMaxTokens max_tokens when a request gives none
 * @param defaultTemperature temperature when a request gives none
 * @param defaultTopP top_p when a request gives none
 * @param defaultStop stop strings when a request gives none (empty = none)
 * @param maxPrefillTokens prompt tokens admitted per engine step
 * @param gracePeriod time in-flight requests get after SIGTERM
 * @param warmupDelay extra delay before ready (tests)
 * @param verifyDigests whether to check kamado-manifest.json digests
 * @param maxRequestBytes largest request body
 * @param volumesDir where PersistentVolumeClaims are mounted ({@code pvc://claim/path} = {@code volumesDir/claim/path})
 * @param decodeMode how the model core computes decode steps
 */
public record ServerConfig(Path model, Path adapter, String host, int port, String servedModelName, Path schema,
    int maxRunning, int maxWaiting, int maxModelLen, int defaultMaxTokens, double defaultTemperature,
    double defaultTopP, List<String> defaultStop, int maxPrefillTokens,
    Duration gracePeriod, Duration warmupDelay, boolean verifyDigests, int maxRequestBytes,
    Path volumesDir, LlamaModel.DecodeMode decodeMode) {

  /**
   * Resolves every setting: flag, else environment variable, else configuration file, else default.
   *
   * @param flags values given as flags (absent = not given)
   * @param env the process environment
   * @param configFile configuration file (JSON or YAML map of setting keys), or null
   * @throws ConfigException naming the setting, its source and the problem
   */
  public static ServerConfig resolve(Map<Setting, String> flags, Map<String, String> env, Path configFile)
      throws ConfigException {
    Map<Setting, String> file = configFile == null ? Map.of() : readFile(configFile);
    Map<Setting, Sourced> values = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      if (flags.get(setting) != null) {
        values.put(setting, new Sourced(flags.get(setting), "flag " + setting.flag()));
      } else if (env.get(setting.envVar()) != null && !env.get(setting.envVar()).isEmpty()) {
        values.put(setting, new Sourced(env.get(setting.envVar()), "environment variable " + setting.envVar()));
      } else if (file.get(setting) != null) {
        values.put(setting, new Sourced(file.get(setting), "'" + setting.key() + "' in " + configFile));
      } else if (setting.defaultValue() != null) {
        values.put(setting, new Sourced(setting.defaultValue(), "default of " + setting.flag()));
      }
    }
    Sourced model = values.get(Setting.MODEL);
    if (model == null) {
      throw new ConfigException("no model: give --model DIR (or " + Setting.MODEL.envVar()
          + ", or 'model' in the configuration file)");
    }
    return new ServerConfig(
        Path.of(model.value),
        path(values.get(Setting.ADAPTER)),
        values.get(Setting.HOST).value,
        integer(values.get(Setting.PORT), 0, 65535),
        values.containsKey(Setting.SERVED_MODEL_NAME) ? values.get(Setting.SERVED_MODEL_NAME).value : null,
        path(values.get(Setting.SCHEMA)),
        integer(values.get(Setting.MAX_RUNNING), 1, 4096),
        integer(values.get(Setting.MAX_WAITING), 1, 1_000_000),
        integer(values.get(Setting.MAX_MODEL_LEN), 0, Integer.MAX_VALUE),
        integer(values.get(Setting.DEFAULT_MAX_TOKENS), 1, Integer.MAX_VALUE),
        decimal(values.get(Setting.DEFAULT_TEMPERATURE), 0, true, 2),
        decimal(values.get(Setting.DEFAULT_TOP_P), 0, false, 1),
        stopStrings(values.get(Setting.DEFAULT_STOP)),
        integer(values.get(Setting.MAX_PREFILL_TOKENS), 1, Integer.MAX_VALUE),
        duration(values.get(Setting.GRACE_PERIOD)),
        duration(values.get(Setting.WARMUP_DELAY)),
        bool(values.get(Setting.VERIFY_DIGESTS)),
        integer(values.get(Setting.MAX_REQUEST_BYTES), 1024, Integer.MAX_VALUE),
        Path.of(values.get(Setting.VOLUMES_DIR).value),
        decodeMode(values.get(Setting.DECODE_MODE)));
  }

  private record Sourced(String value, String source) {}

  private static Map<Setting, String> readFile(Path file) throws ConfigException {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return Map.of();
    }
    if (!root.isObject()) {
      throw new ConfigException("configuration file " + file + " must hold a map of settings");
    }
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      Setting setting = Setting.byKey(field.getKey());
      if (setting == null) {
        throw new ConfigException("configuration file " + file + ": unknown setting '" + field.getKey() + "'");
      }
      if (setting == Setting.DEFAULT_STOP && field.getValue().isArray()) {
        values.put(setting, field.getValue().toString());
        continue;
      }
      if (!field.getValue().isValueNode()) {
        throw new ConfigException("configuration file " + file + ": '" + field.getKey() + "' must be a single value");
      }
      if (!field.getValue().isNull()) {
        values.put(setting, field.getValue().asText());
      }
    }
    return values;
  }

  private static Path path(Sourced value) {
    return value == null || value.value.isBlank() ? null : Path.of(value.value);
  }

  private static int integer(Sourced value, int min, int max) throws ConfigException {
    try {
      int parsed = Integer.parseInt(value.value.trim());
      if (parsed < min || parsed > max) {
        throw new ConfigException(value.source + " must be between " + min + " and " + max + ", got " + parsed);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new ConfigException(value.source + " must be an integer, got '" + value.value + "'"
          + (value.value.startsWith("tcp://") ? " (a Kubernetes service link? set enableServiceLinks: false)" : ""));
    }
  }

  /** A number in [min, max], or (min, max] when {@code minIncluded} is false. */
  private static double decimal(Sourced value, double min, boolean minIncluded, double max) throws ConfigException {
    double parsed;
    try {
      parsed = Double.parseDouble(value.value.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(value.source + " must be a number, got '" + value.value + "'");
    }
    if (Double.isNaN(parsed) || parsed > max || parsed < min || !minIncluded && parsed == min) {
      throw new ConfigException(value.source + " must be " + (minIncluded ? "at least " : "greater than ") + min
          + " and at most " + max + ", got " + value.value.trim());
    }
    return parsed;
  }

  /** Most default stop strings (as OpenAI allows per request). */
  static final int MAX_STOP = 4;

  /** A JSON array of non-empty strings (what the operator writes), or a single plain string; absent = none. */
  private static List<String> stopStrings(Sourced value) throws ConfigException {
    if (value == null || value.value.isEmpty()) {
      return List.of();
    }
    String text = value.value.trim();
    if (!text.startsWith("[")) {
      return List.of(value.value);
    }
    JsonNode node;
    try {
      node = new ObjectMapper().readTree(text);
    } catch (IOException e) {
      throw new ConfigException(value.source + " must be a JSON array of strings such as [\"\\n\\n\"], got '"
          + value.value + "'");
    }
    List<String> stops = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode item = node.get(i);
      if (!item.isTextual() || item.asText().isEmpty()) {
        throw new ConfigException(value.source + ": item " + i + " must be a non-empty string, got " + item);
      }
      stops.add(item.asText());
    }
    if (stops.size() > MAX_STOP) {
      throw new ConfigException(value.source + " may hold at most " + MAX_STOP + " strings, got " + stops.size());
    }
    return List.copyOf(stops);
  }

  /** {@code java}, {@code rows}, {@code batched} or {@code per-row} (any case; {@code _} for {@code -}). */
  private static LlamaModel.DecodeMode decodeMode(Sourced value) throws ConfigException {
    String v = value.value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (LlamaModel.DecodeMode mode : LlamaModel.DecodeMode.values()) {
      if (mode.name().equals(v)) {
        return mode;
      }
    }
    throw new ConfigException(value.source + " must be one of java, rows, batched, per-row, got '" + value.value
        + "'");
  }

  private static boolean bool(Sourced value) throws ConfigException {
    String v = value.value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new ConfigException(value.source + " must be true or false, got '" + value.value + "'");
  }

  /** Parses 30s, 500ms, 2m, 1h or a plain number of seconds. */
  static Duration duration(Sourced value) throws ConfigException {
    String v = value.value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return check(Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim())), value);
      }
      long unit = v.endsWith("s") ? 1 : v.endsWith("m") ? 60 : v.endsWith("h") ? 3600 : 0;
      if (unit == 0) {
        return check(Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000)), value);
      }
      double amount = Double.parseDouble(v.substring(0, v.length() - 1).trim());
      return check(Duration.ofMillis(Math.round(amount * unit * 1000)), value);
    } catch (NumberFormatException e) {
      throw new ConfigException(value.source + " must be a duration such as 30s, 500ms or 2m, got '"
          + value.value + "'");
    }
  }

  private static Duration check(Duration duration, Sourced value) throws ConfigException {
    if (duration.isNegative()) {
      throw new ConfigException(value.source + " must not be negative, got '" + value.value + "'");
    }
    return duration;
  }
}
