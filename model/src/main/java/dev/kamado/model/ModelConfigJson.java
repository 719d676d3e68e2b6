package dev.kamado.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes a Hugging Face {@code config.json} as a {@link ModelConfig}. Unknown fields are ignored on read;
 * output has sorted keys and a trailing newline, like {@code transformers}' {@code save_pretrained}.
 */
public final class ModelConfigJson {

  /** Conventional file name. */
  public static final String FILE_NAME = "config.json";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ModelConfigJson() {
  }

  /**
   * Reads {@code file} (or {@code file/config.json} when it is a folder).
   *
   * @throws IOException when the file cannot be read, or is invalid (the message names the file and the field)
   */
  public static ModelConfig read(Path file) throws IOException {
    Path path = Files.isDirectory(file) ? file.resolve(FILE_NAME) : file;
    try {
      return parse(Files.readString(path, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IOException(path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses config.json text.
   *
   * @throws IllegalArgumentException when it is not JSON or a field is missing or invalid (the message names it)
   */
  public static ModelConfig parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config.json is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("config.json is not a JSON object");
    }
    JsonNode typeNode = root.get("model_type");
    if (typeNode == null || !typeNode.isTextual()) {
      throw new IllegalArgumentException("missing string field 'model_type'");
    }
    String modelType = typeNode.textValue();
    if (!ModelConfig.SUPPORTED_MODEL_TYPES.contains(modelType)) {
      throw new IllegalArgumentException("model_type '" + modelType
          + "' is not supported (supported: llama, qwen2, mistral)");
    }
    int hidden = requiredInt(root, "hidden_size");
    int heads = requiredInt(root, "num_attention_heads");
    Integer headDim = optionalInt(root, "head_dim");
    if (headDim == null) {
      if (heads <= 0) {
        throw new IllegalArgumentException("num_attention_heads must be positive, got " + heads);
      }
      if (hidden % heads != 0) {
        throw new IllegalArgumentException("hidden_size (" + hidden + ") must be divisible by num_attention_heads ("
            + heads + ")");
      }
      headDim = hidden / heads;
    }
    Integer kvHeads = optionalInt(root, "num_key_value_heads");
    boolean llama = "llama".equals(modelType);
    Integer pad = optionalInt(root, "pad_token_id");
    JsonNode dtype = root.hasNonNull("torch_dtype") ? root.get("torch_dtype") : root.get("dtype");
    return new ModelConfig(
        modelType,
        requiredInt(root, "vocab_size"),
        hidden,
        requiredInt(root, "intermediate_size"),
        requiredInt(root, "num_hidden_layers"),
        heads,
        kvHeads == null ? heads : kvHeads,
        headDim,
        optionalDouble(root, "rms_norm_eps", 1e-6),
        optionalDouble(root, "rope_theta", 10_000),
        defaulted(optionalInt(root, "max_position_embeddings"), defaultMaxPositions(modelType)),
        optionalBoolean(root, "tie_word_embeddings", false),
        llama && optionalBoolean(root, "attention_bias", false),
        llama && optionalBoolean(root, "mlp_bias", false),
        optionalText(root.get("hidden_act"), "hidden_act", "silu"),
        optionalText(dtype, "torch_dtype", null),
        optionalInt(root, "bos_token_id"),
        eosTokenIds(root.get("eos_token_id")),
        pad == null || pad < 0 ? null : pad,
        ropeScaling(root.get("rope_scaling")));
  }

  /** The config.json text for {@code config}: sorted keys, two-space indent, trailing newline. */
  public static String toJson(ModelConfig config) {
    Map<String, Object> out = new TreeMap<>();
    out.put("architectures", List.of(config.architecture()));
    out.put("model_type", config.modelType());
    out.put("vocab_size", config.vocabSize());
    out.put("hidden_size", config.hiddenSize());
    out.put("intermediate_size", config.intermediateSize());
    out.put("num_hidden_layers", config.numHiddenLayers());
    out.put("num_attention_heads", config.numAttentionHeads());
    out.put("num_key_value_heads", config.numKeyValueHeads());
    out.put("head_dim", config.headDim());
    out.put("rms_norm_eps", config.rmsNormEps());
    out.put("rope_theta", config.ropeTheta());
    out.put("max_position_embeddings", config.maxPositionEmbeddings());
    out.put("tie_word_embeddings", config.tieWordEmbeddings());
    out.put("hidden_act", config.hiddenAct());
    if ("llama".equals(config.modelType())) {
      out.put("attention_bias", config.attentionBias());
      out.put("mlp_bias", config.mlpBias());
    }
    if (config.torchDtype() != null) {
      out.put("torch_dtype", config.torchDtype());
    }
    if (config.bosTokenId() != null) {
      out.put("bos_token_id", config.bosTokenId());
    }
    if (config.eosTokenIds().size() == 1) {
      out.put("eos_token_id", config.eosTokenIds().get(0));
    } else if (!config.eosTokenIds().isEmpty()) {
      out.put("eos_token_id", config.eosTokenIds());
    }
    if (config.padTokenId() != null) {
      out.put("pad_token_id", config.padTokenId());
    }
    if (config.ropeScaling() != null) {
      out.put("rope_scaling", config.ropeScaling());
    }
    try {
      return JSON.writeValueAsString(out) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise config.json", e);
    }
  }

  /** Writes {@code config} atomically to {@code file} (or {@code file/config.json} when it is a folder). */
  public static void write(ModelConfig config, Path file) throws IOException {
    Path path = Files.isDirectory(file) ? file.resolve(FILE_NAME) : file;
    AtomicFiles.write(path, toJson(config).getBytes(StandardCharsets.UTF_8));
  }

  private static int defaultMaxPositions(String modelType) {
    switch (modelType) {
      case "qwen2":
        return 32_768;
      case "mistral":
        return 131_072;
      default:
        return 2_048;
    }
  }

  private static int defaulted(Integer value, int fallback) {
    return value == null ? fallback : value;
  }

  private static int requiredInt(JsonNode root, String field) {
    Integer v = optionalInt(root, field);
    if (v == null) {
      throw new IllegalArgumentException("missing integer field '" + field + "'");
    }
    return v;
  }

  private static Integer optionalInt(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    return toInt(n, field);
  }

  private static int toInt(JsonNode n, String field) {
    if (!n.isNumber() || !n.canConvertToExactIntegral() || !n.canConvertToInt()) {
      throw new IllegalArgumentException("field '" + field + "' must be an integer, got " + n);
    }
    return n.intValue();
  }

  private static double optionalDouble(JsonNode root, String field, double fallback) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isNumber()) {
      throw new IllegalArgumentException("field '" + field + "' must be a number, got " + n);
    }
    return n.doubleValue();
  }

  private static boolean optionalBoolean(JsonNode root, String field, boolean fallback) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isBoolean()) {
      throw new IllegalArgumentException("field '" + field + "' must be true or false, got " + n);
    }
    return n.booleanValue();
  }

  private static String optionalText(JsonNode n, String field, String fallback) {
    if (n == null || n.isNull()) {
      return fallback;
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' must be a string, got " + n);
    }
    return n.textValue();
  }

  private static List<Integer> eosTokenIds(JsonNode n) {
    List<Integer> ids = new ArrayList<>();
    if (n == null || n.isNull()) {
      return ids;
    }
    if (n.isArray()) {
      for (JsonNode e : n) {
        ids.add(toInt(e, "eos_token_id"));
      }
    } else {
      ids.add(toInt(n, "eos_token_id"));
    }
    return ids;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> ropeScaling(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw new IllegalArgumentException("field 'rope_scaling' must be an object or null, got " + n);
    }
    return JSON.convertValue((ObjectNode) n, Map.class);
  }
}
