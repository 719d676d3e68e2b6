package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kamado.model.AtomicFiles;
import dev.kamado.model.ModelConfig;
import dev.kamado.model.NdTensors;
import dev.kamado.model.safetensors.DType;
import dev.kamado.model.safetensors.SafetensorsFile;
import dev.kamado.model.safetensors.SafetensorsWriter;
import dev.kamado.model.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A LoRA adapter for a {@link LlamaModel} in the PEFT layout: for each targeted projection of each layer, {@code A}
 * [r, in] and {@code B} [out, r]; the projection computes {@code W x + scaling * B (A dropout(x))} with
 * {@code scaling = alpha / r}. On disk: {@code adapter_config.json} and {@code adapter_model.safetensors} (F32) with
 * PEFT's tensor names, such as {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}, which Python
 * {@code peft} loads.
 *
 * <p>The arrays live in the adapter's own manager, a child of the model's; {@link #close()} frees them.
 */
public final class LoraAdapter implements AutoCloseable {

  /** Conventional file names. */
  public static final String CONFIG_FILE = "adapter_config.json";
  /** Conventional file names. */
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private final LoraConfig config;
  private final NDManager manager;
  private final int layers;
  private final Map<String, NDArray> parameters;
  private final Map<String, long[]> projectionShapes;

  private LoraAdapter(LoraConfig config, NDManager manager, int layers, Map<String, NDArray> parameters,
      Map<String, long[]> projectionShapes) {
    this.config = config;
    this.manager = manager;
    this.layers = layers;
    this.parameters = Collections.unmodifiableMap(parameters);
    this.projectionShapes = projectionShapes;
  }

  /** PEFT name of a LoRA matrix: {@code base_model.model.model.layers.<i>.<self_attn|mlp>.<module>.lora_<A|B>.weight}. */
  public static String tensorName(int layer, String module, boolean a) {
    String block = module.endsWith("_proj") && (module.startsWith("gate") || module.startsWith("up")
        || module.startsWith("down")) ? "mlp" : "self_attn";
    return "base_model.model.model.layers." + layer + "." + block + "." + module + (a ? ".lora_A" : ".lora_B")
        + ".weight";
  }

  /** [out, in] of each module for the model's config. */
  private static Map<String, long[]> projectionShapes(ModelConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long inter = c.intermediateSize();
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put("q_proj", new long[] {q, h});
    m.put("k_proj", new long[] {kv, h});
    m.put("v_proj", new long[] {kv, h});
    m.put("o_proj", new long[] {h, q});
    m.put("gate_proj", new long[] {inter, h});
    m.put("up_proj", new long[] {inter, h});
    m.put("down_proj", new long[] {h, inter});
    return m;
  }

  /** The modules of {@code config} in the model's order (q, k, v, o, gate, up, down). */
  private static List<String> orderedModules(LoraConfig config) {
    List<String> out = new ArrayList<>();
    for (String m : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) {
      if (config.targetModules().contains(m)) {
        out.add(m);
      }
    }
    return out;
  }

  /**
   * A fresh adapter as PEFT initialises one: {@code A} Kaiming-uniform (bound {@code 1/sqrt(in)}) from {@code seed},
   * {@code B} zeros, so the adapted model starts equal to the base model.
   */
  public static LoraAdapter create(LlamaModel model, LoraConfig config, long seed) {
    Map<String, long[]> shapes = projectionShapes(model.config());
    NDManager m = model.manager().newSubManager();
    try {
      Random rnd = new Random(seed);
      Map<String, NDArray> params = new LinkedHashMap<>();
      int layers = model.config().numHiddenLayers();
      for (int l = 0; l < layers; l++) {
        for (String module : orderedModules(config)) {
          long[] s = shapes.get(module);
          int in = (int) s[1];
          float[] a = new float[config.rank() * in];
          double bound = 1.0 / Math.sqrt(in);
          for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
          }
          put(params, m.create(a, new Shape(config.rank(), in)), tensorName(l, module, true));
          put(params, m.zeros(new Shape(s[0], config.rank()), DataType.FLOAT32), tensorName(l, module, false));
        }
      }
      return new LoraAdapter(config, m, layers, params, shapes);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static void put(Map<String, NDArray> params, NDArray a, String name) {
    a.setName(name);
    params.put(name, a);
  }

  /**
   * Loads a PEFT LoRA adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors}) for
   * {@code model}. Supported: {@code peft_type} LORA, a list of {@code target_modules} among the seven projections,
   * {@code bias} none; not supported (refused with a message): DoRA, rsLoRA, rank or alpha patterns,
   * {@code layers_to_transform}, {@code modules_to_save}, {@code fan_in_fan_out}.
   *
   * @throws IOException when a file is missing or invalid, or the adapter does not fit the model (the message names
   *     the file and the field or tensor)
   */
  public static LoraAdapter load(Path adapterDir, LlamaModel model) throws IOException {
    Path configFile = adapterDir.resolve(CONFIG_FILE);
    Path weightsFile = adapterDir.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(configFile)) {
      throw new NoSuchFileException(configFile.toString(), null, "LoRA adapter folder lacks " + CONFIG_FILE);
    }
    if (!Files.isRegularFile(weightsFile)) {
      throw new NoSuchFileException(weightsFile.toString(), null, "LoRA adapter folder lacks " + WEIGHTS_FILE
          + " (only the safetensors format is read)");
    }
    LoraConfig config;
    try {
      config = parseConfig(Files.readString(configFile, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IOException(configFile + ": " + e.getMessage(), e);
    }
    Map<String, long[]> shapes = projectionShapes(model.config());
    int layers = model.config().numHiddenLayers();
    NDManager m = model.manager().newSubManager();
    try (SafetensorsFile src = SafetensorsFile.open(weightsFile)) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      Set<String> expected = new HashSet<>();
      for (int l = 0; l < layers; l++) {
        for (String module : orderedModules(config)) {
          long[] s = shapes.get(module);
          for (boolean isA : new boolean[] {true, false}) {
            String name = tensorName(l, module, isA);
            expected.add(name);
            long[] want = isA ? new long[] {config.rank(), s[1]} : new long[] {s[0], config.rank()};
            if (!src.contains(name)) {
              throw new IOException(weightsFile + ": missing tensor '" + name + "' (target_modules names " + module
                  + ")");
            }
            TensorInfo info = src.info(name);
            if (!Arrays.equals(info.shape(), want)) {
              throw new IOException(weightsFile + ": tensor '" + name + "' has shape "
                  + Arrays.toString(info.shape()) + ", expected " + Arrays.toString(want) + " for r=" + config.rank()
                  + " and the base model's config");
            }
            NDArray a = NdTensors.load(m, src, name);
            if (a.getDataType() != DataType.FLOAT32) {
              NDArray f = a.toType(DataType.FLOAT32, false);
              a.close();
              a = f;
            }
            put(params, a, name);
          }
        }
      }
      for (String name : src.names()) {
        if (!expected.contains(name)) {
          throw new IOException(weightsFile + ": unexpected tensor '" + name
              + "' (only lora_A/lora_B of the target_modules of the base model's layers are supported)");
        }
      }
      return new LoraAdapter(config, m, layers, params, shapes);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Parses the fields of {@code adapter_config.json} that matter, refusing what Kamado does not implement. */
  static LoraConfig parseConfig(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a JSON object");
    }
    String type = root.path("peft_type").asText("");
    if (!"LORA".equals(type)) {
      throw new IllegalArgumentException("peft_type must be LORA, got '" + type + "'");
    }
    refuseTrue(root, "use_dora", "DoRA");
    refuseTrue(root, "use_rslora", "rsLoRA scaling");
    refuseTrue(root, "fan_in_fan_out", "fan_in_fan_out");
    refuseNonEmpty(root, "rank_pattern");
    refuseNonEmpty(root, "alpha_pattern");
    refuseNonEmpty(root, "layers_to_transform");
    refuseNonEmpty(root, "modules_to_save");
    String bias = root.path("bias").asText("none");
    if (!"none".equals(bias)) {
      throw new IllegalArgumentException("bias '" + bias + "' is not supported (supported: none)");
    }
    JsonNode r = root.get("r");
    if (r == null || !r.canConvertToInt() || !r.isIntegralNumber()) {
      throw new IllegalArgumentException("field 'r' must be an integer, got " + r);
    }
    JsonNode alpha = root.get("lora_alpha");
    if (alpha == null || !alpha.isNumber()) {
      throw new IllegalArgumentException("field 'lora_alpha' must be a number, got " + alpha);
    }
    JsonNode dropout = root.get("lora_dropout");
    if (dropout != null && !dropout.isNull() && !dropout.isNumber()) {
      throw new IllegalArgumentException("field 'lora_dropout' must be a number, got " + dropout);
    }
    JsonNode targets = root.get("target_modules");
    if (targets == null || !targets.isArray()) {
      throw new IllegalArgumentException("field 'target_modules' must be a list of module names (a regular "
          + "expression is not supported), got " + targets);
    }
    List<String> modules = new ArrayList<>();
    for (JsonNode t : targets) {
      modules.add(t.asText());
    }
    return new LoraConfig(r.intValue(), alpha.doubleValue(), dropout == null || dropout.isNull() ? 0
        : dropout.doubleValue(), modules);
  }

  private static void refuseTrue(JsonNode root, String field, String what) {
    if (root.path(field).asBoolean(false)) {
      throw new IllegalArgumentException(field + ": " + what + " is not supported");
    }
  }

  private static void refuseNonEmpty(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n != null && !n.isNull() && !(n.isContainerNode() && n.isEmpty())) {
      throw new IllegalArgumentException(field + " is not supported, got " + n);
    }
  }

  /**
   * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (F32), each atomically, in the layout
   * Python {@code peft} reads with {@code PeftModel.from_pretrained}.
   *
   * @param baseModelRef what to record as {@code base_model_name_or_path} (a path or a name; may be empty)
   */
  public void save(Path adapterDir, String baseModelRef) throws IOException {
    Files.createDirectories(adapterDir);
    SafetensorsWriter writer = new SafetensorsWriter();
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray a = e.getValue();
      writer.add(e.getKey(), DType.F32, a.getShape().getShape(), a::toFloatArray);
    }
    writer.write(adapterDir.resolve(WEIGHTS_FILE));
    Map<String, Object> c = new TreeMap<>();
    c.put("peft_type", "LORA");
    c.put("task_type", "CAUSAL_LM");
    c.put("base_model_name_or_path", baseModelRef == null ? "" : baseModelRef);
    c.put("r", config.rank());
    c.put("lora_alpha", config.alpha());
    c.put("lora_dropout", config.dropout());
    c.put("target_modules", orderedModules(config));
    c.put("bias", "none");
    c.put("fan_in_fan_out", false);
    c.put("inference_mode", true);
    c.put("init_lora_weights", true);
    c.put("use_rslora", false);
    c.put("use_dora", false);
    c.put("modules_to_save", null);
    c.put("layers_to_transform", null);
    c.put("layers_pattern", null);
    c.put("rank_pattern", Map.of());
    c.put("alpha_pattern", Map.of());
    c.put("revision", null);
    AtomicFiles.write(adapterDir.resolve(CONFIG_FILE),
        (JSON.writeValueAsString(c) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** The settings. */
  public LoraConfig config() {
    return config;
  }

  /** The factor applied to {@code B @ A}. */
  public double scaling() {
    return config.scaling();
  }

  /**
   * The trainable arrays by PEFT name (per layer, per module in q, k, v, o, gate, up, down order: A then B). Callers
   * may set {@code requiresGradient} on them and update them in place.
   */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  NDArray a(int layer, String module) {
    return parameters.get(tensorName(layer, module, true));
  }

  NDArray b(int layer, String module) {
    return parameters.get(tensorName(layer, module, false));
  }

  void checkFits(LlamaModel model) {
    if (model.config().numHiddenLayers() != layers) {
      throw new IllegalArgumentException("LoRA adapter has " + layers + " layers, the model "
          + model.config().numHiddenLayers());
    }
    Map<String, long[]> shapes = projectionShapes(model.config());
    for (String module : config.targetModules()) {
      if (!Arrays.equals(shapes.get(module), projectionShapes.get(module))) {
        throw new IllegalArgumentException("LoRA adapter's " + module + " is " + Arrays.toString(
            projectionShapes.get(module)) + ", the model's " + Arrays.toString(shapes.get(module)));
      }
    }
    if (!manager.isOpen()) {
      throw new IllegalStateException("LoRA adapter is closed");
    }
  }

  /** Frees the adapter's arrays (detach it from the model first). */
  @Override
  public void close() {
    manager.close();
  }
}
