package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import dev.kamado.model.ModelConfig;
import dev.kamado.model.ModelConfigJson;
import dev.kamado.model.NdTensors;
import dev.kamado.model.TorchKernels;
import dev.kamado.model.safetensors.DType;
import dev.kamado.model.safetensors.Safetensors;
import dev.kamado.model.safetensors.SafetensorsWriter;
import dev.kamado.model.safetensors.ShardedSafetensors;
import dev.kamado.model.safetensors.TensorInfo;
import dev.kamado.model.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder-only Llama-family language model (model types {@code llama}, {@code qwen2}, {@code mistral}) on DJL's
 * PyTorch engine, computing what Hugging Face transformers computes: RMSNorm, rotary position embeddings
 * ({@code rotate_half} convention, {@code rope_theta}, optional {@code llama3} scaling), grouped-query attention,
 * SwiGLU MLP, tied or untied LM head, q/k/v biases for qwen2. Mistral's sliding window is not applied (sequences must
 * stay within it).
 *
 * <p>Parameters are F32 arrays in the model's own {@link NDManager} (a child of the one given to {@link #load} or
 * {@link #random}); {@link #close()} frees them, along with any adapter and KV cache made for this model.
 *
 * <p>Two ways to run it:
 * <ul>
 *   <li>{@link #forward}: whole sequences (training and evaluation), differentiable, with packing and padding given
 *       by segment ids. Intermediate arrays go to the manager of {@code inputIds}, so a caller that makes its inputs
 *       in a per-step sub-manager and closes it frees everything the step made.</li>
 *   <li>{@link #prefill} and {@link #decode}: inference with a {@link KvCache} per sequence. Decoding several sequences
 *       together gives each one bitwise the logits it gets when decoded alone. By default ({@link DecodeMode#JAVA})
 *       a decode step runs in plain Java on transposed copies of the weights, each sequence's arithmetic in a fixed
 *       order, the weights read once per step for the whole batch; the libtorch modes make every row of a projection
 *       its own one-row product (verified on the running CPU by {@link GemmRowCheck}). Prefill runs in libtorch, one
 *       sequence at a time.</li>
 * </ul>
 * Not thread-safe: one caller at a time.
 */
public final class LlamaModel implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);
  /**
   * Whether {@link DecodeMode#JAVA} also prefills in Java ({@link JavaDecoder#prefill}) rather than with libtorch's
   * {@code linear}: system property {@code kamado.prefill.java}, true unless {@code false}.
   */
  static final boolean JAVA_PREFILL = !"false".equalsIgnoreCase(System.getProperty("kamado.prefill.java", "true")
      .trim());
  private static final float MASKED = -Float.MAX_VALUE;
  /** Label value that the losses ignore (as torch's {@code ignore_index}). */
  public static final long IGNORE_INDEX = -100;

  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;
  private final NDArray embed;
  private final DecoderLayer[] layers;
  private final NDArray finalNorm;
  private final Projection lmHead;
  private final RotaryTable rotaryTable;
  private final float attentionScale;
  private LoraAdapter adapter;
  /** How {@link #decode} computes projections; null until the first decode step checks the CPU. */
  private DecodeMode decodeMode;
  /** Bench only: {@link DecodeMode#BATCHED} with {@code linear} on the stored weights, LM head included (before). */
  private boolean linearKernel;
  /** Whether the LM head's broadcast one-row products are row-invariant (then BATCHED runs it in one call per block). */
  private boolean headRows;
  /** The mode {@link #decodeMode()} picks when its check passes. */
  private DecodeMode preferredMode = DecodeMode.JAVA;
  /** Bytes of the weight copies that decoding reads (0 until the first prefill or decode). */
  private long decodingBytes;
  /** The Java weight copies and step code of {@link DecodeMode#JAVA} (null unless that mode was prepared). */
  private JavaDecoder javaDecoder;
  /** Threads a {@link DecodeMode#JAVA} step of two or more sequences is split over. */
  private int decodeThreads = 1;
  /** Whether the libtorch transposed copies of the other modes are made. */
  private boolean libtorchCopies;

  /**
   * How {@link #decode} computes the projections of a batch. Every mode is batch-invariant; a model uses one mode for
   * every batch size (a row's bits must not depend on the batch).
   */
  public enum DecodeMode {
    /**
     * The whole decode step in plain Java ({@link JavaDecoder}) on transposed {@code float[in][out]} copies of the
     * weights: no libtorch call per step (a step of a small model is otherwise mostly the fixed cost of ~70 libtorch
     * calls per layer), each weight read once per step for the whole batch (four weight rows at a time stay in the
     * cache while every sequence reads them), each sequence's arithmetic in a fixed order that nothing else in the
     * batch changes, so batch-invariant by construction on any CPU (no check needed). The KV caches keep their tokens
     * in Java arrays; prefill still runs in libtorch ({@code linear}, fastest for many tokens) and writes them there.
     * The default.
     */
    JAVA,
    /**
     * libtorch, every projection per row: each row its own one-row product with the transposed weight, all rows in one
     * libtorch call (a batched product with the weight broadcast over the rows); the LM head so per column block,
     * which stays in the cache across rows. The fastest libtorch mode for one sequence (no padding, libtorch's one-row
     * kernel); 16 sequences reach about 3x the single-stream token rate (the weights are read once per row). Used
     * when preferred and {@link GemmRowCheck} finds those rows invariant on this CPU.
     */
    ROWS,
    /**
     * The layers' projections as one GEMM ({@code mm} with the transposed weight) over the batch padded to at least
     * {@link GemmRowCheck#MIN_ROWS} rows (padding rows carry token 0 at position 0, attend to nothing and are never
     * written to a cache), so each layer weight is read once per step for all sequences; the LM head per row as in
     * {@link #ROWS} (a 4-row GEMM of a 32000 x 512 head costs 4x one row). About 5x the single-stream rate at 16
     * sequences, but a lone sequence pays the 4-row GEMMs (1.35x slower than ROWS). Used when preferred
     * ({@link #preferDecodeMode}) or when ROWS fails its check, if its own check passes.
     */
    BATCHED,
    /** One libtorch call per row (the products of {@link #ROWS}): invariant by construction, the last fallback. */
    PER_ROW
  }

  private LlamaModel(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
    this.config = config;
    this.manager = manager;
    this.parameters = Collections.unmodifiableMap(params);
    this.embed = params.get("model.embed_tokens.weight");
    this.layers = new DecoderLayer[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      String p = "model.layers." + i + ".";
      layers[i] = new DecoderLayer(
          params.get(p + "input_layernorm.weight"),
          projection(params, "q_proj", p + "self_attn.q_proj"),
          projection(params, "k_proj", p + "self_attn.k_proj"),
          projection(params, "v_proj", p + "self_attn.v_proj"),
          projection(params, "o_proj", p + "self_attn.o_proj"),
          params.get(p + "post_attention_layernorm.weight"),
          projection(params, "gate_proj", p + "mlp.gate_proj"),
          projection(params, "up_proj", p + "mlp.up_proj"),
          projection(params, "down_proj", p + "mlp.down_proj"));
    }
    this.finalNorm = params.get("model.norm.weight");
    NDArray head = config.tieWordEmbeddings() ? embed : params.get("lm_head.weight");
    this.lmHead = new Projection("lm_head", "lm_head", head, null);
    this.rotaryTable = new RotaryTable(Rope.inverseFrequencies(config));
    this.attentionScale = (float) Math.pow(config.headDim(), -0.5);
  }

  private static Projection projection(Map<String, NDArray> params, String module, String prefix) {
    return new Projection(module, prefix, params.get(prefix + ".weight"), params.get(prefix + ".bias"));
  }

  /** A tensor the architecture needs: its Hugging Face name and shape. */
  private record TensorSpec(String name, long... shape) {
  }

  /** The tensors of a model with this config, in the stable order of {@link #parameters()}. */
  private static List<TensorSpec> specs(ModelConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    long inter = c.intermediateSize();
    List<TensorSpec> out = new ArrayList<>();
    out.add(new TensorSpec("model.embed_tokens.weight", c.vocabSize(), h));
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      out.add(new TensorSpec(p + "input_layernorm.weight", h));
      linear(out, p + "self_attn.q_proj", q, h, c.qkvBias());
      linear(out, p + "self_attn.k_proj", kv, h, c.qkvBias());
      linear(out, p + "self_attn.v_proj", kv, h, c.qkvBias());
      linear(out, p + "self_attn.o_proj", h, q, c.oProjBias());
      out.add(new TensorSpec(p + "post_attention_layernorm.weight", h));
      linear(out, p + "mlp.gate_proj", inter, h, c.mlpBias());
      linear(out, p + "mlp.up_proj", inter, h, c.mlpBias());
      linear(out, p + "mlp.down_proj", h, inter, c.mlpBias());
    }
    out.add(new TensorSpec("model.norm.weight", h));
    if (!c.tieWordEmbeddings()) {
      out.add(new TensorSpec("lm_head.weight", c.vocabSize(), h));
    }
    return out;
  }

  private static void linear(List<TensorSpec> out, String prefix, long outDim, long inDim, boolean bias) {
    out.add(new TensorSpec(prefix + ".weight", outDim, inDim));
    if (bias) {
      out.add(new TensorSpec(prefix + ".bias", outDim));
    }
  }

  /**
   * Loads a Hugging Face model folder: {@code config.json} and {@code model.safetensors} or a sharded
   * {@code model.safetensors.index.json}. F16, BF16 and F64 weights are converted to F32. Tensors the architecture
   * does not use (and {@code lm_head.weight} of a tied model) are ignored.
   *
   * @throws IOException when a file is missing or invalid, a tensor is missing or has the wrong shape, or the config
   *     asks for something unsupported (the message names the file and the field or tensor)
   */
  public static LlamaModel load(Path modelDir, NDManager parent) throws IOException {
    ModelConfig config = ModelConfigJson.read(modelDir.resolve(ModelConfigJson.FILE_NAME));
    checkSupported(config, modelDir.resolve(ModelConfigJson.FILE_NAME));
    NDManager m = parent.newSubManager();
    try (TensorSource src = Safetensors.open(modelDir)) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (TensorSpec spec : specs(config)) {
        if (!src.contains(spec.name())) {
          throw new IOException(modelDir + ": weights lack tensor '" + spec.name() + "' that this "
              + config.modelType() + " config needs");
        }
        TensorInfo info = src.info(spec.name());
        if (!Arrays.equals(info.shape(), spec.shape())) {
          throw new IOException(modelDir + ": tensor '" + spec.name() + "' has shape " + Arrays.toString(info.shape())
              + " but config.json implies " + Arrays.toString(spec.shape()));
        }
        if (!info.dtype().isFloat()) {
          throw new IOException(modelDir + ": tensor '" + spec.name() + "' has dtype " + info.dtype()
              + ", expected a float type");
        }
        NDArray a = NdTensors.load(m, src, spec.name());
        if (a.getDataType() != DataType.FLOAT32) {
          NDArray f = a.toType(DataType.FLOAT32, false);
          a.close();
          a = f;
        }
        a.setName(spec.name());
        params.put(spec.name(), a);
      }
      return new LlamaModel(config, m, params);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private static void checkSupported(ModelConfig config, Path file) throws IOException {
    try {
      Rope.inverseFrequencies(config);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A model with deterministic random weights for {@code seed}: matrices ~ N(0, 0.02) as transformers initialises
   * them, RMSNorm weights 1, biases 0.
   *
   * @throws IllegalArgumentException when the config asks for something unsupported
   */
  public static LlamaModel random(ModelConfig config, long seed, NDManager parent) {
    Rope.inverseFrequencies(config);
    NDManager m = parent.newSubManager();
    try {
      Random rnd = new Random(seed);
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (TensorSpec spec : specs(config)) {
        int count = Math.toIntExact(TensorInfo.elementCount(spec.shape()));
        float[] data = new float[count];
        if (spec.name().endsWith("norm.weight")) {
          Arrays.fill(data, 1f);
        } else if (!spec.name().endsWith(".bias")) {
          for (int i = 0; i < count; i++) {
            data[i] = (float) (rnd.nextGaussian() * 0.02);
          }
        }
        NDArray a = m.create(data, new Shape(spec.shape()));
        a.setName(spec.name());
        params.put(spec.name(), a);
      }
      return new LlamaModel(config, m, params);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The architecture. */
  public ModelConfig config() {
    return config;
  }

  /**
   * The parameters by Hugging Face name (embeddings, then each layer, then the final norm and, when untied, the LM
   * head), F32, owned by the model. Callers may set {@code requiresGradient} on them and update them in place.
   */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /** The manager that owns the parameters (adapters and KV caches are made in children of it). */
  NDManager manager() {
    return manager;
  }

  /** Saves {@code config.json} and {@code model.safetensors} in F32. */
  public void save(Path modelDir) throws IOException {
    save(modelDir, DType.F32);
  }

  /**
   * Saves {@code config.json} (with {@code torch_dtype} set to the stored type) and {@code model.safetensors}, each
   * atomically, with the weights stored as {@code dtype} (F32, or BF16 rounded to nearest even). A stale shard index
   * in the folder is removed, so the folder loads as what was saved.
   *
   * @throws IllegalArgumentException when {@code dtype} is neither F32 nor BF16
   */
  public void save(Path modelDir, DType dtype) throws IOException {
    if (dtype != DType.F32 && dtype != DType.BF16) {
      throw new IllegalArgumentException("can save weights as F32 or BF16, not " + dtype);
    }
    Files.createDirectories(modelDir);
    SafetensorsWriter writer = new SafetensorsWriter();
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray a = e.getValue();
      writer.add(e.getKey(), dtype, a.getShape().getShape(), a::toFloatArray);
    }
    writer.write(modelDir.resolve(Safetensors.MODEL_FILE));
    Files.deleteIfExists(modelDir.resolve(ShardedSafetensors.INDEX_FILE));
    ModelConfig c = config;
    ModelConfig stored = new ModelConfig(c.modelType(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(),
        c.numHiddenLayers(), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(),
        c.maxPositionEmbeddings(), c.tieWordEmbeddings(), c.attentionBias(), c.mlpBias(), c.hiddenAct(),
        dtype == DType.BF16 ? "bfloat16" : "float32", c.bosTokenId(), c.eosTokenIds(), c.padTokenId(),
        c.ropeScaling());
    ModelConfigJson.write(stored, modelDir.resolve(ModelConfigJson.FILE_NAME));
  }

  // ---------------------------------------------------------------- LoRA

  /**
   * Puts {@code lora} on the model: from now on {@link #forward}, {@link #prefill} and {@link #decode} add its
   * updates. Replaces an adapter attached before. The adapter must stay open while attached.
   *
   * @throws IllegalArgumentException when the adapter was made for a model of other shapes
   */
  public void attach(LoraAdapter lora) {
    lora.checkFits(this);
    detach();
    for (int i = 0; i < layers.length; i++) {
      for (Projection p : layers[i].projections) {
        if (lora.config().targetModules().contains(p.module)) {
          p.attachLora(lora.a(i, p.module), lora.b(i, p.module), (float) lora.scaling(),
              (float) lora.config().dropout());
        }
      }
    }
    adapter = lora;
    decodeMode = null;
  }

  /** Takes the attached adapter off (no-op when none is attached). */
  public void detach() {
    for (DecoderLayer layer : layers) {
      for (Projection p : layer.projections) {
        p.detachLora();
      }
    }
    adapter = null;
    // decoding's transposed weight copies are remade (mergeLora changed the weights before detaching)
    decodeMode = null;
  }

  /** The attached adapter, or null. */
  public LoraAdapter attached() {
    return adapter;
  }

  /**
   * Folds the attached adapter into the base weights ({@code W += scaling * B @ A}) and detaches it; the model then
   * computes the same function without the adapter.
   *
   * @throws IllegalStateException when no adapter is attached
   */
  public void mergeLora() {
    if (adapter == null) {
      throw new IllegalStateException("no LoRA adapter is attached");
    }
    for (DecoderLayer layer : layers) {
      for (Projection p : layer.projections) {
        if (p.loraA != null) {
          try (NDManager scratch = manager.newSubManager()) {
            NDArray b = p.loraB.duplicate();
            b.attach(scratch);
            NDArray delta = b.matMul(p.loraA).muli(p.loraScaling);
            p.weight.addi(delta);
          }
        }
      }
    }
    detach();
  }

  // ---------------------------------------------------------------- training forward

  /**
   * Logits for whole sequences: {@code inputIds} [B, T] int64 (int32 accepted), {@code segmentIds} [B, T] int64
   * (0 = padding; null = one segment per row). A token attends causally to the earlier tokens of its own segment,
   * rotary positions restart at 0 at each segment's first token, so a row may pack several sequences and end in
   * padding. Segments must be contiguous runs within a row. Returns logits [B, T, V] F32, differentiable under a
   * {@link ai.djl.training.GradientCollector}; all intermediate arrays go to {@code inputIds}' manager.
   *
   * @param training whether LoRA dropout is active
   * @throws IllegalArgumentException on bad shapes, token ids outside the vocabulary, or non-contiguous segments
   */
  public NDArray forward(NDArray inputIds, NDArray segmentIds, boolean training) {
    NDArray h = rmsNorm(trunk(inputIds, segmentIds, training), finalNorm);
    return lmHead.apply(h, false);
  }

  /**
   * The training loss without the logits of unlabelled positions: the mean next-token cross-entropy over the
   * positions whose label is not -100, equal (within float rounding) to
   * {@code causalLmLoss(forward(inputIds, segmentIds, training), labels)}, but the final norm, the LM head and the
   * log-softmax run only on those positions' hidden states ([N, H] gathered from [B, T, H]). In supervised
   * fine-tuning, where only the answers carry labels, this skips most of the LM head; with every position labelled it
   * costs one row gather more than {@code forward}. Same inputs and array lifetimes as {@link #forward}.
   *
   * @param labels [B, T] int64 (int32 accepted), the target of each position (already shifted), -100 = no loss
   * @return a differentiable scalar, 0 when no position is labelled
   * @throws IllegalArgumentException on bad shapes or token ids as {@link #forward}, or labels outside the vocabulary
   */
  public NDArray trainingLoss(NDArray inputIds, NDArray segmentIds, NDArray labels, boolean training) {
    if (!labels.getShape().equals(inputIds.getShape())) {
      throw new IllegalArgumentException("labels shape " + labels.getShape() + " differs from inputIds shape "
          + inputIds.getShape());
    }
    long[] targets = labels.getDataType() == DataType.INT64 ? labels.toLongArray()
        : labels.toType(DataType.INT64, false).toLongArray();
    int counted = 0;
    int vocab = config.vocabSize();
    for (long t : targets) {
      if (t != IGNORE_INDEX) {
        if (t < 0 || t >= vocab) {
          throw new IllegalArgumentException("label " + t + " is outside the vocabulary [0, " + vocab + ") and is not "
              + IGNORE_INDEX);
        }
        counted++;
      }
    }
    NDArray h = trunk(inputIds, segmentIds, training);
    NDManager scope = inputIds.getManager();
    long hidden = config.hiddenSize();
    NDArray flat = h.reshape(targets.length, hidden);
    if (counted == 0) {
      // connected to the graph, so that backward works (and gives zero gradients) as with causalLmLoss
      return NdTensors.times(flat.sum(), 0f);
    }
    long[] rows = new long[counted];
    long[] picked = new long[counted];
    for (int i = 0, n = 0; i < targets.length; i++) {
      if (targets[i] != IGNORE_INDEX) {
        rows[n] = i;
        picked[n++] = targets[i];
      }
    }
    NDArray selected = counted == targets.length ? flat : flat.get(new NDIndex("{}", scope.create(rows)));
    NDArray logits = lmHead.apply(rmsNorm(selected, finalNorm), false);
    NDArray logProbs = logits.logSoftmax(1).gather(scope.create(picked, new Shape(counted, 1)), 1);
    // NdTensors.times, not div(Number): the scalar must outlive the backward pass
    return NdTensors.times(logProbs.sum(), -1f / counted);
  }

  /** The decoder stack up to (not including) the final norm: hidden states [B, T, H]. */
  private NDArray trunk(NDArray inputIds, NDArray segmentIds, boolean training) {
    NDManager scope = inputIds.getManager();
    Shape shape = inputIds.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("inputIds must be [batch, time], got shape " + shape);
    }
    int batch = Math.toIntExact(shape.get(0));
    int time = Math.toIntExact(shape.get(1));
    NDArray idArray = inputIds.getDataType() == DataType.INT64 ? inputIds : inputIds.toType(DataType.INT64, false);
    long[] ids = idArray.toLongArray();
    checkTokens(ids);
    long[] segments;
    if (segmentIds == null) {
      segments = new long[ids.length];
      Arrays.fill(segments, 1L);
    } else {
      if (!segmentIds.getShape().equals(shape)) {
        throw new IllegalArgumentException("segmentIds shape " + segmentIds.getShape() + " differs from inputIds shape "
            + shape);
      }
      segments = segmentIds.getDataType() == DataType.INT64 ? segmentIds.toLongArray()
          : segmentIds.toType(DataType.INT64, false).toLongArray();
    }
    int[] positions = positions(segments, batch, time);
    NDArray seg = scope.create(segments, new Shape(batch, time));

    NDArray h = embedding(idArray, scope);
    NDArray[] rotary = rotary(scope, positions, batch, time);
    // rows that are one segment each need only the causal mask, which the attention kernel applies by itself
    NDArray mask = singleSegmentRows(segments, batch, time) ? null : trainingMask(seg, scope, batch, time);
    for (DecoderLayer layer : layers) {
      h = trainingLayer(layer, h, rotary, mask, batch, time, training);
    }
    return h;
  }

  private NDArray trainingLayer(DecoderLayer layer, NDArray h, NDArray[] rotary, NDArray mask, int batch, int time,
      boolean training) {
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int dim = config.headDim();
    NDArray x = rmsNorm(h, layer.inputNorm);
    // one LoRA dropout mask for the projections that read the same input (q/k/v, then gate/up)
    NDArray xd = sharedLoraInput(x, training, layer.q, layer.k, layer.v);
    NDArray q = rope(layer.q.apply(x, xd).reshape(batch, time, heads, dim).transpose(0, 2, 1, 3), rotary);
    NDArray k = rope(layer.k.apply(x, xd).reshape(batch, time, kvHeads, dim).transpose(0, 2, 1, 3), rotary);
    NDArray v = layer.v.apply(x, xd).reshape(batch, time, kvHeads, dim).transpose(0, 2, 1, 3);
    // libtorch's fused attention (flash kernel on the CPU): no [B, H, T, T] scores kept for backward, and with a
    // null mask (causal only) the blocks above the diagonal are skipped
    NDArray ctx = TorchKernels.get().attention(q, k, v, mask, attentionScale)
        .transpose(0, 2, 1, 3).reshape(batch, time, (long) heads * dim);
    h = h.add(layer.o.apply(ctx, training));
    x = rmsNorm(h, layer.postNorm);
    return h.add(mlp(layer, x, training));
  }

  private NDArray mlp(DecoderLayer layer, NDArray x, boolean training) {
    NDArray xd = sharedLoraInput(x, training, layer.gate, layer.up);
    NDArray act = TorchKernels.get().silu(layer.gate.apply(x, xd));
    return layer.down.apply(act.mul(layer.up.apply(x, xd)), training);
  }

  /** x after LoRA dropout, computed once for all of {@code readers} that need it, or x. */
  private static NDArray sharedLoraInput(NDArray x, boolean training, Projection... readers) {
    for (Projection p : readers) {
      NDArray in = p.loraInput(x, training);
      if (in != x) {
        return in;
      }
    }
    return x;
  }

  /** Whether every row is a single segment (no padding, no packing): then attention needs only the causal mask. */
  private static boolean singleSegmentRows(long[] segments, int batch, int time) {
    for (int b = 0; b < batch; b++) {
      long first = segments[b * time];
      if (first == 0) {
        return false;
      }
      for (int t = 1; t < time; t++) {
        if (segments[b * time + t] != first) {
          return false;
        }
      }
    }
    return true;
  }

  /** Additive mask [B, 1, T, T]: 0 where a query may attend a key, a huge negative number elsewhere. */
  private static NDArray trainingMask(NDArray seg, NDManager scope, int batch, int time) {
    NDArray idx = scope.arange(0, time, 1, DataType.INT64);
    NDArray rows = idx.reshape(1, time, 1);
    NDArray cols = idx.reshape(1, 1, time);
    NDArray same = seg.reshape(batch, time, 1).eq(seg.reshape(batch, 1, time));
    NDArray allowed = same.logicalAnd(cols.lte(rows)).logicalAnd(seg.reshape(batch, 1, time).neq(0))
        // a padding query attends to itself only, so that its softmax row is defined
        .logicalOr(rows.eq(cols));
    return allowed.logicalNot().toType(DataType.FLOAT32, false).mul(MASKED).reshape(batch, 1, time, time);
  }

  /** Rotary position of every token: restarts at 0 where a segment begins; validates contiguity. */
  private static int[] positions(long[] segments, int batch, int time) {
    int[] pos = new int[segments.length];
    Set<Long> seen = new HashSet<>();
    for (int b = 0; b < batch; b++) {
      seen.clear();
      long current = Long.MIN_VALUE;
      int p = 0;
      for (int t = 0; t < time; t++) {
        int i = b * time + t;
        long s = segments[i];
        if (s < 0) {
          throw new IllegalArgumentException("segmentIds must not be negative, got " + s + " at [" + b + ", " + t
              + "]");
        }
        if (s != current) {
          if (s != 0 && !seen.add(s)) {
            throw new IllegalArgumentException("segment " + s + " of row " + b + " is not contiguous (again at "
                + "position " + t + ")");
          }
          current = s;
          p = 0;
        }
        pos[i] = s == 0 ? 0 : p++;
      }
    }
    return pos;
  }

  private void checkTokens(long[] ids) {
    int vocab = config.vocabSize();
    for (long id : ids) {
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
      }
    }
  }

  // ---------------------------------------------------------------- loss

  /**
   * Mean cross-entropy of {@code logits} [B, T, V] against {@code labels} [B, T] int64, where {@code labels[b, t]} is
   * the target of position t (already shifted by the caller) and -100 marks positions that do not count. Returns a
   * scalar (0 when no position counts), differentiable; arrays go to {@code logits}' manager.
   */
  public static NDArray causalLmLoss(NDArray logits, NDArray labels) {
    if (logits.getShape().dimension() != 3 || labels.getShape().dimension() != 2) {
      throw new IllegalArgumentException("causalLmLoss needs logits [B, T, V] and labels [B, T], got "
          + logits.getShape() + " and " + labels.getShape());
    }
    NDArray lsm = logits.logSoftmax(2);
    NDArray valid = labels.neq(-100);
    NDArray safe = labels.mul(valid.toType(labels.getDataType(), false)).toType(DataType.INT64, false);
    NDArray picked = lsm.gather(safe.expandDims(2), 2).squeeze(2);
    NDArray weight = valid.toType(DataType.FLOAT32, false);
    NDArray count = weight.sum().maximum(1f);
    return picked.mul(weight).sum().neg().div(count);
  }

  // ---------------------------------------------------------------- inference

  /** A new, empty KV cache for one sequence of at most {@code capacityTokens} tokens. */
  public KvCache newCache(int capacityTokens) {
    DecodeMode mode = decodeMode != null ? decodeMode : preferredMode;
    return new KvCache(manager, config.numHiddenLayers(), config.numKeyValueHeads(), config.headDim(),
        capacityTokens, mode == DecodeMode.JAVA);
  }

  /**
   * Appends {@code tokens} to the sequence in {@code cache} and returns the logits [V] after the last of them.
   *
   * @throws IllegalArgumentException when {@code tokens} is empty or holds ids outside the vocabulary
   * @throws IllegalStateException when the cache has no room for them or is closed
   */
  public float[] prefill(KvCache cache, int[] tokens) {
    if (tokens.length == 0) {
      throw new IllegalArgumentException("prefill needs at least one token");
    }
    long[] ids = toLongs(tokens);
    cache.checkRoom(tokens.length);
    if (decodeMode() == DecodeMode.JAVA && JAVA_PREFILL) {
      cache.useHost(true);
      return javaDecoder.prefill(List.of(cache), List.of(ids))[0];
    }
    // prefill needs no batch invariance (one sequence): JAVA mode runs libtorch's linear on the stored weights
    DecodeMode mode = decodeMode() == DecodeMode.JAVA ? DecodeMode.JAVA : DecodeMode.ROWS;
    int time = tokens.length;
    int start = cache.length();
    try (NDManager step = manager.newSubManager()) {
      int[] pos = new int[time];
      for (int t = 0; t < time; t++) {
        pos[t] = start + t;
      }
      NDArray h = embedding(step.create(ids, new Shape(1, time)), step);
      NDArray[] rotary = rotary(step, pos, 1, time);
      NDArray mask = null;
      if (time > 1) {
        NDArray keysAt = step.arange(0, start + time, 1, DataType.INT64).reshape(1, start + time);
        NDArray queriesAt = step.arange(start, start + time, 1, DataType.INT64).reshape(time, 1);
        mask = keysAt.lte(queriesAt).logicalNot().toType(DataType.FLOAT32, false).mul(MASKED);
      }
      List<KvCache> caches = List.of(cache);
      int[] starts = {start};
      for (int l = 0; l < layers.length; l++) {
        h = inferenceLayer(l, h, rotary, mask, caches, starts, time, mode, step);
      }
      NDArray last = time == 1 ? h : h.get(new NDIndex().addAllDim().addSliceDim(time - 1, time).addAllDim());
      NDArray logits = project(lmHead, rmsNorm(last, finalNorm), mode, step);
      float[] out = logits.toFloatArray();
      cache.advance(time);
      return out;
    }
  }

  /**
   * {@link #prefill(KvCache, int[])} of several sequences ({@code tokens.get(i)} into {@code caches.get(i)}): in mode
   * {@link DecodeMode#JAVA} shared out among the {@link #decodeThreads(int) decode threads}, else one after another.
   * Each sequence's logits are those of its prefill alone.
   *
   * @throws IllegalArgumentException when the sizes differ, a cache appears twice, or a token list is empty or holds ids
   *     outside the vocabulary
   * @throws IllegalStateException when a cache has no room or is closed
   */
  public float[][] prefill(List<KvCache> caches, List<int[]> tokens) {
    int n = caches.size();
    if (n != tokens.size()) {
      throw new IllegalArgumentException("prefill needs one token list per cache, got " + n + " caches and "
          + tokens.size() + " lists");
    }
    if (n == 0) {
      return new float[0][];
    }
    if (n == 1 || decodeMode() != DecodeMode.JAVA || !JAVA_PREFILL) {
      float[][] out = new float[n][];
      for (int i = 0; i < n; i++) {
        out[i] = prefill(caches.get(i), tokens.get(i));
      }
      return out;
    }
    return step(List.of(), new int[0], caches, tokens)[1];
  }

  /**
   * A decode step of {@code decodeCaches} ({@link #decode(List, int[])}) and the prefill of {@code prompts} into
   * {@code prefillCaches} ({@link #prefill(List, List)}) in one go: in mode {@link DecodeMode#JAVA} side by side on the
   * {@link #decodeThreads(int) decode threads}, so a thread that would wait for the other's prefill decodes rows
   * meanwhile; else one after the other. Every sequence's logits are what decode or prefill gives it alone. Every
   * argument is checked before anything runs.
   *
   * @return the decode logits [rows][V] and the prefill logits [prompts][V]
   * @throws IllegalArgumentException when sizes differ, a cache appears twice (in either list or both), a prompt is
   *     empty, or a token is outside the vocabulary
   * @throws IllegalStateException when a cache has no room or is closed
   */
  public float[][][] step(List<KvCache> decodeCaches, int[] nextTokens, List<KvCache> prefillCaches,
      List<int[]> prompts) {
    return step(decodeCaches, nextTokens, null, prefillCaches, prompts, null);
  }

  /**
   * {@link #step(List, int[], List, List)}, told which logits the caller will read: {@code decodeLogitIds[i]} and
   * {@code prefillLogitIds[i]} (either array may be null, as may an entry: every logit) hold, in ascending order, the
   * only ids whose logits that row needs, as when a constraint allows few tokens. In mode {@link DecodeMode#JAVA} the
   * LM head then computes only the tiles of columns holding them (with the bits a full row has; the row's other logits
   * are -inf or their true value); the other modes compute every logit.
   *
   * @throws IllegalArgumentException also when an id list is not ascending within the vocabulary, or the arrays do not
   *     have one entry per row
   */
  public float[][][] step(List<KvCache> decodeCaches, int[] nextTokens, int[][] decodeLogitIds,
      List<KvCache> prefillCaches, List<int[]> prompts, int[][] prefillLogitIds) {
    checkLogitIds(decodeLogitIds, decodeCaches.size(), "decode");
    checkLogitIds(prefillLogitIds, prefillCaches.size(), "prefill");
    if (prefillCaches.isEmpty() && prompts.isEmpty() && (decodeLogitIds == null || decodeMode() != DecodeMode.JAVA)) {
      return new float[][][] {decodeUnlessEmpty(decodeCaches, nextTokens), new float[0][]};
    }
    if (decodeMode() != DecodeMode.JAVA || !JAVA_PREFILL) {
      float[][] prefilled = prefill(prefillCaches, prompts);
      return new float[][][] {decodeUnlessEmpty(decodeCaches, nextTokens), prefilled};
    }
    int rows = decodeCaches.size();
    int n = prefillCaches.size();
    if (rows != nextTokens.length || n != prompts.size()) {
      throw new IllegalArgumentException("a step needs one token per decode cache and one prompt per prefill cache, got "
          + rows + " caches and " + nextTokens.length + " tokens, " + n + " caches and " + prompts.size() + " prompts");
    }
    Set<KvCache> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
    for (KvCache c : decodeCaches) {
      if (!distinct.add(c)) {
        throw new IllegalArgumentException("a cache appears twice in one step");
      }
      c.checkRoom(1);
    }
    long[] ids = toLongs(nextTokens);
    List<long[]> promptIds = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      KvCache c = prefillCaches.get(i);
      if (!distinct.add(c)) {
        throw new IllegalArgumentException("a cache appears twice in one step");
      }
      if (prompts.get(i).length == 0) {
        throw new IllegalArgumentException("prefill needs at least one token (sequence " + i + ")");
      }
      c.checkRoom(prompts.get(i).length);
      promptIds.add(toLongs(prompts.get(i)));
    }
    for (KvCache c : distinct) {
      c.useHost(true);
    }
    return javaDecoder.step(decodeCaches, ids, decodeLogitIds, prefillCaches, promptIds, prefillLogitIds);
  }

  /** {@link #decode}, or no rows for no caches and no tokens (which decode refuses). */
  private float[][] decodeUnlessEmpty(List<KvCache> caches, int[] nextTokens) {
    return caches.isEmpty() && nextTokens.length == 0 ? new float[0][] : decode(caches, nextTokens);
  }

  private void checkLogitIds(int[][] logitIds, int rows, String what) {
    if (logitIds == null) {
      return;
    }
    if (logitIds.length != rows) {
      throw new IllegalArgumentException(what + " logit ids: " + logitIds.length + " entries for " + rows + " rows");
    }
    for (int r = 0; r < rows; r++) {
      int[] ids = logitIds[r];
      for (int k = 0; ids != null && k < ids.length; k++) {
        if (ids[k] < 0 || ids[k] >= config.vocabSize() || (k > 0 && ids[k] <= ids[k - 1])) {
          throw new IllegalArgumentException(what + " logit ids of row " + r + " must ascend within the vocabulary of "
              + config.vocabSize() + ", got " + ids[k] + " at " + k);
        }
      }
    }
  }

  /**
   * Appends one token to each sequence and returns one logits row [V] per sequence, in order. Batch-invariant: a
   * sequence's logits are bitwise the same whatever other sequences are decoded with it (see {@link #decodeMode()}).
   *
   * @throws IllegalArgumentException when the sizes differ, a cache appears twice, or a token is out of range
   * @throws IllegalStateException when a cache is full or closed
   */
  public float[][] decode(List<KvCache> caches, int[] nextTokens) {
    int batch = caches.size();
    if (batch == 0 || batch != nextTokens.length) {
      throw new IllegalArgumentException("decode needs one token per cache, got " + batch + " caches and "
          + nextTokens.length + " tokens");
    }
    Set<KvCache> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
    for (int i = 0; i < batch; i++) {
      KvCache c = caches.get(i);
      if (!distinct.add(c)) {
        throw new IllegalArgumentException("cache " + i + " appears twice in one decode step");
      }
    }
    for (KvCache c : caches) {
      c.checkRoom(1);
    }
    long[] ids = toLongs(nextTokens);
    DecodeMode mode = decodeMode();
    for (KvCache c : caches) {
      c.useHost(mode == DecodeMode.JAVA);
    }
    if (mode == DecodeMode.JAVA) {
      return javaDecoder.decode(caches, ids);
    }
    if (batch <= GemmRowCheck.MAX_ROWS) {
      return decodeGroup(caches, ids, mode);
    }
    float[][] out = new float[batch][];
    for (int from = 0; from < batch; from += GemmRowCheck.MAX_ROWS) {
      int to = Math.min(batch, from + GemmRowCheck.MAX_ROWS);
      float[][] part = decodeGroup(caches.subList(from, to), Arrays.copyOfRange(ids, from, to), mode);
      System.arraycopy(part, 0, out, from, to - from);
    }
    return out;
  }

  /**
   * How {@link #decode} computes a step: the preferred mode ({@link #preferDecodeMode}); {@link DecodeMode#JAVA} (the
   * default) needs no check. For the libtorch modes, decided by {@link GemmRowCheck} on this CPU for this model's
   * weights (and adapter): the preferred mode when its check passes, else {@link DecodeMode#BATCHED} when padded GEMM rows of the layers' projections are invariant (the LM head then
   * runs per row, in one call when the broadcast one-row products of its blocks are invariant, else one call per row),
   * else {@link DecodeMode#ROWS} when all broadcast one-row products are, else {@link DecodeMode#PER_ROW} with a
   * logged warning (same results, more calls). Decided at the first prefill or decode after loading, attaching,
   * detaching or merging, which also makes the transposed weight copies that decoding reads ({@code 4 * parameters}
   * bytes of the projections and LM head: Java arrays for JAVA, libtorch arrays for the others); callers that change
   * parameters in place afterwards call {@link #weightsChanged()}.
   */
  public DecodeMode decodeMode() {
    if (decodeMode == null) {
      releaseCopies();
      if (preferredMode == DecodeMode.JAVA) {
        String heap = javaHeapShortfall();
        if (heap == null) {
          prepare(DecodeMode.JAVA);
          decodeMode = DecodeMode.JAVA;
          return decodeMode;
        }
        LOG.warn("decode mode JAVA {}; decoding with libtorch instead", heap);
      }
      prepare(DecodeMode.ROWS);
      headRows = GemmRowCheck.rowsFailure(Arrays.asList(lmHead.blocks()), manager) == null;
      if (preferredMode == DecodeMode.PER_ROW) {
        decodeMode = DecodeMode.PER_ROW;
        return decodeMode;
      }
      if (preferredMode == DecodeMode.ROWS && headRows && rowsFailure() == null) {
        decodeMode = DecodeMode.ROWS;
        return decodeMode;
      }
      String batched = batchedFailure();
      String rows = batched == null ? null : rowsFailure();
      if (batched == null) {
        decodeMode = DecodeMode.BATCHED;
      } else if (rows == null) {
        LOG.warn("libtorch's padded GEMM is not row-invariant on this CPU for {}: decoding computes every row on its "
            + "own (same results)", batched);
        decodeMode = DecodeMode.ROWS;
      } else {
        LOG.warn("libtorch's padded GEMM ({}) and batched one-row products ({}) are not row-invariant on this CPU: "
            + "decoding falls back to one product per sequence (same results, lower throughput)", batched, rows);
        decodeMode = DecodeMode.PER_ROW;
      }
    }
    return decodeMode;
  }

  /**
   * Which decode mode to use (default {@link DecodeMode#JAVA}, the fastest alone and in batches on x86-64, see
   * model/README.md); a libtorch mode whose check fails on this CPU falls back in the order of {@link #decodeMode()}.
   * Takes effect at the next prefill or decode; KV caches move their tokens to the storage the mode reads at their
   * next decode step.
   */
  public void preferDecodeMode(DecodeMode mode) {
    preferredMode = java.util.Objects.requireNonNull(mode, "mode");
    decodeMode = null;
  }

  /**
   * Splits each {@link DecodeMode#JAVA} decode step of two or more sequences over {@code threads} threads (the
   * caller's and {@code threads - 1} daemon threads of the model; default 1). Every sequence is computed by one
   * thread with the same arithmetic, so logits are bitwise the same for any setting; more threads shorten a step when
   * the machine has idle cores. Not used by the libtorch modes.
   *
   * @throws IllegalArgumentException when {@code threads} is below 1
   */
  public void decodeThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("decode threads must be at least 1, got " + threads);
    }
    decodeThreads = threads;
    if (javaDecoder != null) {
      javaDecoder.decodeThreads(threads);
    }
  }

  /** Threads a {@link DecodeMode#JAVA} decode step is split over (see {@link #decodeThreads(int)}). */
  public int decodeThreads() {
    return decodeThreads;
  }

  /**
   * The product kernel of {@link DecodeMode#JAVA} in this JVM, for logs: {@code "vector, 16 floats"} with the Vector
   * API ({@code java --add-modules jdk.incubator.vector}), else {@code "scalar (without jdk.incubator.vector)"}. Both
   * give bitwise the same results.
   */
  public static String javaDecodeKernel() {
    return JavaDecoder.kernel();
  }

  /** Makes prefill and decode read the parameters again (after a caller changed them in place). */
  public void weightsChanged() {
    decodeMode = null;
  }

  /**
   * Forces a decode mode (tests and benchmarks), making the weight copies it reads if needed; null goes back to the
   * mode {@link #decodeMode()} decides.
   */
  void forceDecodeMode(DecodeMode mode) {
    if (mode == null) {
      decodeMode = null;
      return;
    }
    decodeMode();
    prepare(mode);
    if (mode != DecodeMode.JAVA) {
      headRows = GemmRowCheck.rowsFailure(Arrays.asList(lmHead.blocks()), manager) == null;
    }
    decodeMode = mode;
  }

  /** Makes the weight copies {@code mode} reads, unless made already. */
  private void prepare(DecodeMode mode) {
    if (mode == DecodeMode.JAVA) {
      if (javaDecoder == null) {
        javaDecoder = new JavaDecoder(config, layers, finalNorm, lmHead, embed, rotaryTable, attentionScale);
        javaDecoder.decodeThreads(decodeThreads);
        decodingBytes += javaDecoder.bytes();
      }
    } else if (!libtorchCopies) {
      for (Projection p : inferenceProjections()) {
        decodingBytes += p.prepareDecoding(manager, p == lmHead);
      }
      libtorchCopies = true;
    }
  }

  /**
   * Null when the Java heap has room for {@link DecodeMode#JAVA}'s weight copies (4 bytes per parameter of the
   * projections and the LM head, with a fifth to spare for KV caches and scratch), else why not.
   */
  private String javaHeapShortfall() {
    long params = 0;
    for (Projection p : inferenceProjections()) {
      params += p.inFeatures() * p.outFeatures();
    }
    long needed = 4 * params;
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    if (needed <= free * 0.8) {
      return null;
    }
    return String.format(java.util.Locale.ROOT, "needs %d MB of Java heap for its weight copies but %d MB are free "
        + "(raise -Xmx or -XX:MaxRAMPercentage)", needed >> 20, free >> 20);
  }

  /** Frees every weight copy made for decoding (they are remade from the current weights when needed). */
  private void releaseCopies() {
    if (javaDecoder != null) {
      javaDecoder.close();
    }
    javaDecoder = null;
    if (libtorchCopies) {
      for (Projection p : inferenceProjections()) {
        p.releaseDecoding();
      }
      libtorchCopies = false;
    }
    decodingBytes = 0;
  }

  /**
   * Null when a padded GEMM ({@link DecodeMode#BATCHED}) gives each row of the layers' projections (and adapter) the
   * same bits whatever the other rows on this CPU; else the first weight where it does not.
   */
  String batchedFailure() {
    prepare(DecodeMode.ROWS);
    List<NDArray> linear = new ArrayList<>();
    List<NDArray> transposed = new ArrayList<>();
    for (Projection p : inferenceProjections()) {
      if (p == lmHead && !linearKernel) {
        continue;
      }
      if (linearKernel) {
        linear.add(p.weight);
      } else {
        transposed.add(p.weightT());
      }
      if (p.loraA != null) {
        linear.add(p.loraA);
        linear.add(p.loraB);
      }
    }
    return GemmRowCheck.batchedFailure(linear, transposed, manager);
  }

  /**
   * Null when broadcast one-row products ({@link DecodeMode#ROWS}) give each row the bits of that row alone for every
   * projection and LM head block on this CPU; else the first weight where they do not.
   */
  String rowsFailure() {
    prepare(DecodeMode.ROWS);
    List<NDArray> blocks = new ArrayList<>();
    for (Projection p : inferenceProjections()) {
      blocks.addAll(Arrays.asList(p.blocks()));
    }
    return GemmRowCheck.rowsFailure(blocks, manager);
  }

  /** Bench only: {@link DecodeMode#BATCHED} with {@code linear} on the stored weights, as before ROWS existed. */
  void useLinearKernel(boolean linear) {
    linearKernel = linear;
  }

  /** Bytes of the weight copies that decoding reads (0 before the first prefill or decode). */
  long decodingBytes() {
    return decodingBytes;
  }

  private List<Projection> inferenceProjections() {
    List<Projection> all = new ArrayList<>();
    for (DecoderLayer layer : layers) {
      all.addAll(layer.projections);
    }
    all.add(lmHead);
    return all;
  }

  private float[][] decodeGroup(List<KvCache> caches, long[] ids, DecodeMode mode) {
    int batch = caches.size();
    // BATCHED: pad to MIN_ROWS rows (token 0 at position 0, never written to a cache) so every projection is a GEMM
    int rows = mode == DecodeMode.BATCHED ? Math.max(batch, GemmRowCheck.MIN_ROWS) : batch;
    long[] paddedIds = rows == batch ? ids : Arrays.copyOf(ids, rows);
    int[] starts = new int[batch];
    int[] pos = new int[rows];
    for (int i = 0; i < batch; i++) {
      starts[i] = caches.get(i).length();
      pos[i] = starts[i];
    }
    try (NDManager step = manager.newSubManager()) {
      NDArray h = embedding(step.create(paddedIds, new Shape(rows, 1)), step);
      NDArray[] rotary = rotary(step, pos, rows, 1);
      for (int l = 0; l < layers.length; l++) {
        h = inferenceLayer(l, h, rotary, null, caches, starts, 1, mode, step);
      }
      NDArray logits;
      if (mode == DecodeMode.BATCHED && !linearKernel) {
        // the LM head runs per row (its GEMM of 4 rows costs 4x one row): padding rows are dropped first
        NDArray real = rmsNorm(rows == batch ? h : h.get(new NDIndex().addSliceDim(0, batch)), finalNorm);
        logits = headRows ? lmHead.applyRows(real, step) : lmHead.applyEachRow(real, step);
      } else {
        logits = project(lmHead, rmsNorm(h, finalNorm), mode, step);
      }
      float[] all = logits.toFloatArray();
      int vocab = config.vocabSize();
      float[][] out = new float[batch][];
      for (int i = 0; i < batch; i++) {
        out[i] = Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
        caches.get(i).advance(1);
      }
      return out;
    }
  }

  /**
   * One decoder layer over h [rows, time, hidden]: rows is the number of caches (prefill: 1 row of several tokens) or,
   * for batched decoding, more (padding rows, which attend to nothing and get a zero attention context).
   */
  private NDArray inferenceLayer(int index, NDArray h, NDArray[] rotary, NDArray mask, List<KvCache> caches,
      int[] starts, int time, DecodeMode mode, NDManager step) {
    DecoderLayer layer = layers[index];
    int batch = caches.size();
    int rows = Math.toIntExact(h.getShape().get(0));
    int heads = config.numAttentionHeads();
    int kvHeads = config.numKeyValueHeads();
    int dim = config.headDim();
    int group = heads / kvHeads;
    NDArray x = rmsNorm(h, layer.inputNorm);
    NDArray q = rope(project(layer.q, x, mode, step).reshape(rows, time, heads, dim).transpose(0, 2, 1, 3),
        rotary);
    NDArray k = rope(project(layer.k, x, mode, step).reshape(rows, time, kvHeads, dim).transpose(0, 2, 1, 3),
        rotary);
    NDArray v = project(layer.v, x, mode, step).reshape(rows, time, kvHeads, dim).transpose(0, 2, 1, 3);
    NDList contexts = new NDList(rows);
    for (int i = 0; i < batch; i++) {
      KvCache cache = caches.get(i);
      int length = starts[i] + time;
      NDArray qi = rows == 1 ? q : q.get(i);
      cache.write(index, rows == 1 ? k.reshape(kvHeads, time, dim) : k.get(i),
          rows == 1 ? v.reshape(kvHeads, time, dim) : v.get(i));
      NDArray keys = cache.keys(index, length, step);
      NDArray values = cache.values(index, length, step);
      NDArray scores = qi.reshape(kvHeads, (long) group * time, dim).matMul(keys.transpose(0, 2, 1))
          .mul(attentionScale);
      if (mask != null) {
        scores = scores.reshape(kvHeads, group, time, length).add(mask).reshape(kvHeads, (long) group * time, length);
      }
      NDArray ctx = scores.softmax(2).matMul(values).reshape(heads, time, dim).transpose(1, 0, 2)
          .reshape(1, time, (long) heads * dim);
      contexts.add(ctx);
    }
    if (rows > batch) {
      contexts.add(step.zeros(new Shape(rows - batch, time, (long) heads * dim), DataType.FLOAT32));
    }
    NDArray ctx = rows == 1 ? contexts.get(0) : NDArrays.concat(contexts, 0);
    h = h.add(project(layer.o, ctx, mode, step));
    x = rmsNorm(h, layer.postNorm);
    NDArray g = project(layer.gate, x, mode, step);
    NDArray act = (rows > 1 ? siluPerRow(g) : silu(g)).mul(project(layer.up, x, mode, step));
    return h.add(project(layer.down, act, mode, step));
  }

  private static NDArray silu(NDArray g) {
    return g.mul(Activation.sigmoid(g));
  }

  /**
   * SiLU of [B, 1, I] whose rows do not depend on B. libtorch computes a contiguous buffer in vector blocks (at most
   * 32 floats per step) and the remainder with scalar code; when I is a multiple of 64 every row meets the same code,
   * otherwise each row is computed on its own.
   */
  private static NDArray siluPerRow(NDArray g) {
    long rows = g.getShape().get(0);
    if (rows == 1 || g.getShape().get(2) % 64 == 0) {
      return silu(g);
    }
    NDList parts = g.split(rows, 0);
    NDList out = new NDList((int) rows);
    for (NDArray part : parts) {
      out.add(silu(part));
    }
    return NDArrays.concat(out, 0);
  }

  private NDArray project(Projection p, NDArray x, DecodeMode mode, NDManager step) {
    switch (mode) {
      case JAVA:
        return p.apply(x, false);
      case ROWS:
        return p.applyRows(x, step);
      case PER_ROW:
        return p.applyEachRow(x, step);
      default:
        return linearKernel ? p.apply(x, false) : p.applyBatched(x);
    }
  }

  // ---------------------------------------------------------------- shared pieces

  private NDArray embedding(NDArray ids, NDManager scope) {
    NDArray out = Embedding.embedding(ids, embed, SparseFormat.DENSE).singletonOrThrow();
    if (out.getManager() != scope) {
      out.attach(scope);
    }
    return out;
  }

  /** cos and sin [B, 1, T, D] for the positions [B * T] of each token. */
  private NDArray[] rotary(NDManager scope, int[] positions, int batch, int time) {
    int dim = config.headDim();
    float[] cos = new float[positions.length * dim];
    float[] sin = new float[positions.length * dim];
    for (int i = 0; i < positions.length; i++) {
      rotaryTable.copy(positions[i], cos, sin, i * dim);
    }
    Shape shape = new Shape(batch, 1, time, dim);
    return new NDArray[] {scope.create(cos, shape), scope.create(sin, shape)};
  }

  /** {@code x * cos + rotate_half(x) * sin} for x [B, heads, T, D]. */
  private static NDArray rope(NDArray x, NDArray[] rotary) {
    NDList halves = x.split(2, 3);
    NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
    return x.mul(rotary[0]).add(rotated.mul(rotary[1]));
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {x.getShape().dimension() - 1}, true);
    // sqrt and division are exactly rounded in libtorch's vector and scalar code alike (batch-invariant)
    return x.div(variance.add((float) config.rmsNormEps()).sqrt()).mul(weight);
  }

  private long[] toLongs(int[] tokens) {
    int vocab = config.vocabSize();
    long[] ids = new long[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= vocab) {
        throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary [0, " + vocab + ")");
      }
      ids[i] = tokens[i];
    }
    return ids;
  }

  /** Frees the parameters, and every adapter and KV cache made for this model. */
  @Override
  public void close() {
    if (javaDecoder != null) {
      javaDecoder.close();
    }
    manager.close();
  }
}
