package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import dev.kamado.model.ModelConfig;
import java.util.List;

/**
 * Decode steps computed in plain Java on the model's weights ({@link LlamaModel.DecodeMode#JAVA}): no libtorch call per
 * step. Each sequence of a batch is computed on its own with a fixed order of every floating-point operation, so its
 * logits are bitwise the same whatever else is in the batch (Java's {@code float} arithmetic and {@link Math#fma} are
 * exactly rounded and the same in the interpreter and in compiled code), and the weights are read once per step for
 * the whole batch.
 *
 * <p>Every product output is {@code acc = fma(x[i], w[i][j], acc)} over the input features in order. Two kernels
 * compute it, with bitwise the same results:
 * <ul>
 *   <li>with the Vector API resolved ({@code java --add-modules jdk.incubator.vector}, see {@link #VECTOR}),
 *       {@link VectorKernels} on weights packed in column tiles, which keeps the outputs of four sequences in registers
 *       so each weight loaded feeds four sequences: about 50 GMAC/s at four or more sequences against about 20 for the
 *       one-row loop, and a little faster for one sequence too (see server-image/README.md);</li>
 *   <li>without it, {@link #matmul} on a transposed copy of each weight, one {@code float[out]} per input feature
 *       ({@code [in][out]}): the inner loop over four input features at a time is one the JIT compiler vectorises
 *       (AVX-512/AVX2), and the four weight rows stay in the cache while every sequence of the batch reads them. Java
 *       17's compiler does not vectorise a loop with several output rows, so this kernel gains little from a batch.</li>
 * </ul>
 * Attention runs per sequence on the {@link KvCache}'s Java storage, per query head (with the Vector API, the query
 * heads of a key-value head two at a time).
 *
 * <p>With {@link #decodeThreads(int) decode threads} above 1, a step of two or more sequences splits its sequences
 * into contiguous parts, one per thread (the caller's thread takes the first part, the daemon threads of a
 * {@link StepCrew} the others), each with its own scratch buffers; every sequence's arithmetic is the same whatever
 * part it falls in, so results stay bitwise batch-invariant.
 *
 * <p>Not thread-safe: one caller at a time (scratch buffers are reused from step to step).
 */
final class JavaDecoder implements AutoCloseable {

  /** Output columns per block of a product without the Vector API (the LM head: 32000 columns in blocks of 4096). */
  static final int HEAD_BLOCK = 4096;

  /** Prompt positions per pass of {@link #prefill} (bounds the scratch rows it needs). */
  static final int PREFILL_CHUNK = 64;
  /**
   * Room past the positions in a score buffer, so that the vector kernels compute the last partial vector of positions
   * whole (the key rows of a {@link KvCache} have such room too).
   */
  static final int SCORE_PAD = KvCache.KEY_PAD;

  /**
   * Whether products run on {@link VectorKernels}: the JVM resolved {@code jdk.incubator.vector} (an incubator module,
   * resolved only when asked for with {@code --add-modules jdk.incubator.vector}), its preferred species has at least 4
   * floats, and system property {@code kamado.decode.vector} is not {@code false}.
   */
  static final boolean VECTOR = vectorAvailable();

  /**
   * Whether a row told which logits it needs computes only those (see {@link #step}); system property
   * {@code kamado.decode.sparse.head=false} computes every logit anyway (the same bits for the ones asked for).
   */
  static final boolean SPARSE_HEAD = !"false".equalsIgnoreCase(System.getProperty("kamado.decode.sparse.head", "true")
      .trim());

  private static boolean vectorAvailable() {
    if (vectorOff() || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    return VectorKernels.LANES >= 4;
  }

  private static boolean vectorOff() {
    return "false".equalsIgnoreCase(System.getProperty("kamado.decode.vector", "true").trim());
  }

  /**
   * The kernels in use, for logs: {@code vector, 16 floats}, {@code scalar (kamado.decode.vector=false)} or
   * {@code scalar (without jdk.incubator.vector)}.
   */
  static String kernel() {
    if (VECTOR) {
      return "vector, " + VectorKernels.LANES + " floats";
    }
    return vectorOff() ? "scalar (kamado.decode.vector=false)" : "scalar (without jdk.incubator.vector)";
  }

  /**
   * Linear projections that read the same input, fused into one as Java arrays: the transposed weights side by side
   * ({@code [in][out_1 + out_2 + ...]}), the biases likewise (zeros for a part without one), and the LoRA updates
   * stacked (A rows of every part, each with its scaling; B transposed and widened to the fused columns with zeros
   * outside its part, so adding it changes only its own part's outputs). With {@link #VECTOR} the transposed weights
   * and B are kept packed for {@link VectorKernels} only.
   */
  private static final class Dense {
    /** [in][out], null with {@link #VECTOR}. */
    final float[][] weightT;
    /** {@link VectorKernels#pack packed} weights, null without {@link #VECTOR}. */
    final float[] weightPacked;
    final float[] bias;
    final float[][] loraA;
    final float[] loraScaling;
    final float[][] loraBt;
    final float[] loraBtPacked;
    final int in;
    final int out;

    Dense(Projection... parts) {
      this.in = Math.toIntExact(parts[0].inFeatures());
      int total = 0;
      int rank = 0;
      boolean anyBias = false;
      for (Projection p : parts) {
        total += Math.toIntExact(p.outFeatures());
        anyBias |= p.bias != null;
        if (p.loraA != null) {
          rank += Math.toIntExact(p.loraA.getShape().get(0));
        }
      }
      this.out = total;
      float[][] weightT = new float[in][total];
      this.bias = anyBias ? new float[total] : null;
      this.loraA = rank == 0 ? null : new float[rank][];
      this.loraScaling = rank == 0 ? null : new float[rank];
      float[][] loraBt = rank == 0 ? null : new float[rank][total];
      int col = 0;
      int r0 = 0;
      for (Projection p : parts) {
        int o = Math.toIntExact(p.outFeatures());
        float[] w = p.weight.toFloatArray();
        for (int r = 0; r < o; r++) {
          int base = r * in;
          for (int c = 0; c < in; c++) {
            weightT[c][col + r] = w[base + c];
          }
        }
        if (p.bias != null) {
          System.arraycopy(p.bias.toFloatArray(), 0, bias, col, o);
        }
        if (p.loraA != null) {
          int rk = Math.toIntExact(p.loraA.getShape().get(0));
          float[] a = p.loraA.toFloatArray();
          float[] b = p.loraB.toFloatArray();
          for (int k = 0; k < rk; k++) {
            loraA[r0 + k] = java.util.Arrays.copyOfRange(a, k * in, (k + 1) * in);
            loraScaling[r0 + k] = p.loraScaling;
            for (int r = 0; r < o; r++) {
              loraBt[r0 + k][col + r] = b[r * rk + k];
            }
          }
          r0 += rk;
        }
        col += o;
      }
      this.weightT = VECTOR ? null : weightT;
      this.weightPacked = VECTOR ? VectorKernels.pack(weightT, in, total) : null;
      this.loraBt = VECTOR ? null : loraBt;
      this.loraBtPacked = VECTOR && loraBt != null ? VectorKernels.pack(loraBt, rank, total) : null;
    }

    /** {@code y[b] (+)= x[b] W^T} for the first rows rows. */
    void product(float[][] x, int rows, float[][] y) {
      if (weightPacked != null) {
        VectorKernels.matmul(weightPacked, in, out, x, rows, y, false);
      } else {
        matmul(weightT, in, out, x, rows, y, false);
      }
    }

    /** Whether the product is the weight alone (no bias, no LoRA): then {@link #columns} applies. */
    boolean plain() {
      return bias == null && loraA == null;
    }

    /**
     * Some outputs of one row of a {@link #plain()} product: at least the columns {@code ids[0..count-1]} (ascending)
     * of {@code y = x W^T}, with the bits {@link #product} gives them; other columns may be written too or left alone.
     */
    void columns(float[] x, float[] y, int[] ids, int count) {
      if (weightPacked != null) {
        VectorKernels.matmulTiles(weightPacked, in, out, x, y, ids, count);
      } else {
        matmulColumns(weightT, in, x, y, ids, count);
      }
    }

    /** {@code y[b] += low[b] B^T} (the LoRA update of the first rows rows, low = x A^T scaled). */
    void loraProduct(float[][] low, int rows, float[][] y) {
      if (loraBtPacked != null) {
        VectorKernels.matmul(loraBtPacked, loraA.length, out, low, rows, y, true);
      } else {
        matmul(loraBt, loraA.length, out, low, rows, y, true);
      }
    }

    long bytes() {
      long n = (weightPacked != null ? weightPacked.length : (long) in * out) + (bias == null ? 0 : out);
      if (loraA != null) {
        n += (long) loraA.length * (in + out + 1);
      }
      return 4 * n;
    }
  }

  private static final class Layer {
    final float[] inputNorm;
    /** q, k and v fused: one row holds the query heads, then the key heads, then the value heads. */
    final Dense qkv;
    final Dense o;
    final float[] postNorm;
    /** gate and up fused: one row holds the gate outputs, then the up outputs. */
    final Dense gateUp;
    final Dense down;

    Layer(DecoderLayer layer) {
      inputNorm = layer.inputNorm.toFloatArray();
      qkv = new Dense(layer.q, layer.k, layer.v);
      o = new Dense(layer.o);
      postNorm = layer.postNorm.toFloatArray();
      gateUp = new Dense(layer.gate, layer.up);
      down = new Dense(layer.down);
    }
  }

  private final int hidden;
  private final int heads;
  private final int kvHeads;
  private final int dim;
  private final int group;
  private final int intermediate;
  private final int vocab;
  private final float eps;
  private final float scale;
  private final Layer[] layers;
  private final float[] finalNorm;
  private final Dense head;
  private final NDArray embed;
  /** Embedding rows fetched so far (from the embedding array, once per token id). */
  private final java.util.concurrent.atomic.AtomicReferenceArray<float[]> embedRows;
  private final RotaryTable rotary;
  private final long bytes;
  /** Multiply-adds of one position through the layers' products, and of one logit row (the LM head). */
  private final long layerMacs;
  private final long headMacs;

  /** Scratch per part of a step; {@code workers[0]} runs on the caller's thread. */
  private Worker[] workers;
  /** Threads for parts 1.. of a step, null with one decode thread. */
  private StepCrew crew;

  JavaDecoder(ModelConfig config, DecoderLayer[] decoderLayers, NDArray finalNorm, Projection lmHead, NDArray embed,
      RotaryTable rotary, float attentionScale) {
    this.hidden = config.hiddenSize();
    this.heads = config.numAttentionHeads();
    this.kvHeads = config.numKeyValueHeads();
    this.dim = config.headDim();
    this.group = heads / kvHeads;
    this.intermediate = config.intermediateSize();
    this.vocab = config.vocabSize();
    this.eps = (float) config.rmsNormEps();
    this.scale = attentionScale;
    this.layers = new Layer[decoderLayers.length];
    long total = 0;
    long macs = 0;
    for (int i = 0; i < layers.length; i++) {
      layers[i] = new Layer(decoderLayers[i]);
      for (Dense d : List.of(layers[i].qkv, layers[i].o, layers[i].gateUp, layers[i].down)) {
        total += d.bytes();
        macs += (long) d.in * d.out;
      }
    }
    this.layerMacs = macs;
    this.finalNorm = finalNorm.toFloatArray();
    this.head = new Dense(lmHead);
    this.bytes = total + head.bytes();
    this.headMacs = (long) head.in * head.out;
    this.embed = embed;
    this.embedRows = new java.util.concurrent.atomic.AtomicReferenceArray<>(vocab);
    this.rotary = rotary;
    this.workers = new Worker[] {new Worker()};
  }

  /**
   * Sets the threads a step of two or more sequences is split over (1 = the caller's thread only). Each sequence is
   * computed by one thread with the same arithmetic, so the results do not depend on this setting.
   *
   * @throws IllegalArgumentException when {@code threads} is below 1
   */
  void decodeThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("decode threads must be at least 1, got " + threads);
    }
    if (threads == workers.length) {
      return;
    }
    close();
    Worker[] w = new Worker[threads];
    for (int i = 0; i < threads; i++) {
      w[i] = i < workers.length ? workers[i] : new Worker();
    }
    workers = w;
    if (threads > 1) {
      crew = new StepCrew(threads - 1, "kamado-decode");
    }
  }

  /** Threads a step is split over. */
  int decodeThreads() {
    return workers.length;
  }

  /** Stops the decode threads (a later {@link #decodeThreads(int)} starts new ones). */
  @Override
  public void close() {
    if (crew != null) {
      crew.close();
      crew = null;
    }
    workers = new Worker[] {workers[0]};
  }

  /** Bytes of the Java weight copies. */
  long bytes() {
    return bytes;
  }

  /**
   * One decode step: appends {@code tokens[i]} to {@code caches.get(i)} (host storage, room checked by the caller) and
   * returns the logits [V] of each sequence.
   */
  float[][] decode(List<KvCache> caches, long[] tokens) {
    return step(caches, tokens, null, List.of(), List.of(), null)[0];
  }

  /**
   * Prefill in Java: appends {@code tokens.get(i)} to {@code caches.get(i)} (distinct caches, host storage, room
   * checked by the caller) and returns the logits [V] after the last token of each. Each sequence runs on one thread,
   * its positions through the products {@link #PREFILL_CHUNK} at a time.
   */
  float[][] prefill(List<KvCache> caches, List<long[]> tokens) {
    return step(List.of(), new long[0], null, caches, tokens, null)[1];
  }

  /**
   * A decode step of {@code decodeCaches} and the prefill of {@code prompts} into {@code prefillCaches} (all caches
   * distinct, host storage, room checked by the caller), side by side on the decode threads: each prompt goes whole to
   * one thread, the longest first to the least loaded, then the decode rows fill the threads up to equal loads, in
   * contiguous ranges. Loads count the products' multiply-adds: a prompt position goes through the layers only, a
   * decode row (and a prompt's last position) through the LM head too, which on a small model with a large vocabulary
   * is most of the work. Every sequence's arithmetic is the same whatever thread and company it has. Returns the decode
   * logits [rows][V] and the prefill logits [prompts][V] (after each last token).
   *
   * <p>{@code decodeLogitIds[i]} and {@code prefillLogitIds[i]} (either array may be null, as may an entry: every
   * logit) name, in ascending order, the only logits the caller will read for that row, as when a constraint allows
   * few tokens: the LM head then computes only the tiles of columns that hold them, with the bits a full row has, and
   * the row's other logits are -inf or their true value.
   */
  float[][][] step(List<KvCache> decodeCaches, long[] tokens, int[][] decodeLogitIds, List<KvCache> prefillCaches,
      List<long[]> prompts, int[][] prefillLogitIds) {
    int rows = decodeCaches.size();
    int n = prefillCaches.size();
    float[][] decoded = new float[rows][];
    float[][] prefilled = new float[n][];
    int parts = Math.max(1, Math.min(workers.length, rows + n));
    int[] part = new int[n];
    long[] load = new long[parts];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Integer.compare(prompts.get(b).length, prompts.get(a).length));
    for (int i : order) {
      int least = leastLoaded(load);
      part[i] = least;
      load[least] += prompts.get(i).length * layerMacs + headMacs;
    }
    int[] from = new int[parts + 1];
    int[] count = new int[parts];
    for (int r = 0; r < rows; r++) {
      int least = leastLoaded(load);
      count[least]++;
      load[least] += layerMacs + headMacs;
    }
    for (int p = 0; p < parts; p++) {
      from[p + 1] = from[p] + count[p];
    }
    java.util.function.IntConsumer body = p -> {
      if (count[p] > 0) {
        workers[p].decode(decodeCaches, tokens, decodeLogitIds, from[p], from[p + 1], decoded);
      }
      for (int i = 0; i < n; i++) {
        if (part[i] == p) {
          prefilled[i] = workers[p].prefill(prefillCaches.get(i), prompts.get(i),
              prefillLogitIds == null ? null : prefillLogitIds[i]);
        }
      }
    };
    if (parts <= 1) {
      body.accept(0);
    } else {
      crew.run(parts, body);
    }
    for (KvCache cache : decodeCaches) {
      cache.advance(1);
    }
    for (int i = 0; i < n; i++) {
      prefillCaches.get(i).advance(prompts.get(i).length);
    }
    return new float[][][] {decoded, prefilled};
  }

  private static int leastLoaded(long[] load) {
    int least = 0;
    for (int p = 1; p < load.length; p++) {
      least = load[p] < load[least] ? p : least;
    }
    return least;
  }

  private float[] embedding(int id) {
    float[] row = embedRows.get(id);
    if (row == null) {
      synchronized (embedRows) {
        row = embedRows.get(id);
        if (row == null) {
          try (NDArray a = embed.get(id)) {
            row = a.toFloatArray();
          }
          embedRows.set(id, row);
        }
      }
    }
    return row;
  }

  /**
   * {@code y[b][j] (+)= sum_i x[b][i] * wT[i][j]} for b below rows, j below out, as {@code y = fma(x[i], wT[i][j], y)}
   * for i in order (the order {@link VectorKernels} keeps too), four input features per pass over the outputs, in column
   * blocks of {@link #HEAD_BLOCK}.
   */
  static void matmul(float[][] wT, int in, int out, float[][] x, int rows, float[][] y, boolean accumulate) {
    if (!accumulate) {
      for (int b = 0; b < rows; b++) {
        java.util.Arrays.fill(y[b], 0, out, 0f);
      }
    }
    for (int j0 = 0; j0 < out; j0 += HEAD_BLOCK) {
      int j1 = Math.min(out, j0 + HEAD_BLOCK);
      int i = 0;
      for (; i + 4 <= in; i += 4) {
        float[] w0 = wT[i];
        float[] w1 = wT[i + 1];
        float[] w2 = wT[i + 2];
        float[] w3 = wT[i + 3];
        for (int b = 0; b < rows; b++) {
          float[] xb = x[b];
          float[] yb = y[b];
          float x0 = xb[i];
          float x1 = xb[i + 1];
          float x2 = xb[i + 2];
          float x3 = xb[i + 3];
          for (int j = j0; j < j1; j++) {
            yb[j] = Math.fma(x3, w3[j], Math.fma(x2, w2[j], Math.fma(x1, w1[j], Math.fma(x0, w0[j], yb[j]))));
          }
        }
      }
      for (; i < in; i++) {
        float[] w0 = wT[i];
        for (int b = 0; b < rows; b++) {
          float x0 = x[b][i];
          float[] yb = y[b];
          for (int j = j0; j < j1; j++) {
            yb[j] = Math.fma(x0, w0[j], yb[j]);
          }
        }
      }
    }
  }

  /**
   * Columns {@code ids[0..count-1]} of {@code y = x wT} for one row: {@code y[j] = fma(x[i], wT[i][j], acc)} for i in
   * order from 0, the operations {@link #matmul} does for that column (so the same bits).
   */
  static void matmulColumns(float[][] wT, int in, float[] x, float[] y, int[] ids, int count) {
    for (int k = 0; k < count; k++) {
      int j = ids[k];
      float acc = 0f;
      for (int i = 0; i < in; i++) {
        acc = Math.fma(x[i], wT[i][j], acc);
      }
      y[j] = acc;
    }
  }

  /** Scratch buffers and step code of one part of a decode step (one thread at a time). */
  private final class Worker {
    // [rows][...], grown to the largest part seen
    private int capacity;
    private float[][] h;
    private float[][] x;
    private float[][] qkv;
    private float[][] ctx;
    private float[][] proj;
    private float[][] gateUp;
    private float[][] act;
    private float[][] low;
    /** Per row of a step: the sequence's cache and the position the row is at. */
    private KvCache[] rowCache;
    private int[] rowPosition;
    private float[][] logitRows = new float[0][];
    private final float[] cos = new float[dim];
    private final float[] sin = new float[dim];
    private final float[] acc = new float[dim];
    private float[] scores = new float[256];
    /** The scores of the second query head of a pair (see {@link #attention}). */
    private float[] pairScores = new float[256];

    /** Decodes sequences {@code from..to-1} of the step into {@code logits[from..to-1]}; does not advance caches. */
    void decode(List<KvCache> caches, long[] tokens, int[][] logitIds, int from, int to, float[][] logits) {
      int rows = to - from;
      ensureCapacity(rows);
      for (int b = 0; b < rows; b++) {
        KvCache cache = caches.get(from + b);
        rowCache[b] = cache;
        rowPosition[b] = cache.length();
        System.arraycopy(embedding((int) tokens[from + b]), 0, h[b], 0, hidden);
      }
      layers(rows);
      java.util.Arrays.fill(rowCache, 0, rows, null);
      float[][] out = rows == logitRows.length ? logitRows : new float[rows][];
      logitRows = out;
      boolean sparse = false;
      for (int b = 0; b < rows; b++) {
        rmsNorm(h[b], finalNorm, x[b]);
        sparse |= SPARSE_HEAD && logitIds != null && logitIds[from + b] != null && head.plain();
      }
      if (!sparse) {
        for (int b = 0; b < rows; b++) {
          out[b] = new float[vocab];
        }
        project(head, x, rows, out);
      } else {
        // rows told their few logits compute those alone; the others need every logit, as one batch
        float[][] denseX = new float[rows][];
        float[][] denseOut = new float[rows][];
        int dense = 0;
        for (int b = 0; b < rows; b++) {
          int[] ids = logitIds[from + b];
          out[b] = ids != null ? someLogits(x[b], ids) : new float[vocab];
          if (ids == null) {
            denseX[dense] = x[b];
            denseOut[dense++] = out[b];
          }
        }
        if (dense > 0) {
          project(head, denseX, dense, denseOut);
        }
      }
      System.arraycopy(out, 0, logits, from, rows);
    }

    /** A logits row with only the columns of {@code ids} computed (their tiles), -inf elsewhere. */
    private float[] someLogits(float[] xRow, int[] ids) {
      float[] row = new float[vocab];
      java.util.Arrays.fill(row, Float.NEGATIVE_INFINITY);
      head.columns(xRow, row, ids, ids.length);
      return row;
    }

    /**
     * Runs {@code tokens} through the layers as positions {@code cache.length()..} of one sequence, {@link
     * #PREFILL_CHUNK} positions at a time (each chunk's products over all its positions at once), writes their keys
     * and values to the cache and returns the logits after the last; does not advance the cache.
     */
    float[] prefill(KvCache cache, long[] tokens, int[] logitIds) {
      int start = cache.length();
      int rows = 0;
      for (int c0 = 0; c0 < tokens.length; c0 += PREFILL_CHUNK) {
        rows = Math.min(PREFILL_CHUNK, tokens.length - c0);
        ensureCapacity(rows);
        for (int b = 0; b < rows; b++) {
          rowCache[b] = cache;
          rowPosition[b] = start + c0 + b;
          System.arraycopy(embedding((int) tokens[c0 + b]), 0, h[b], 0, hidden);
        }
        layers(rows);
      }
      java.util.Arrays.fill(rowCache, 0, rows, null);
      float[][] last = {x[rows - 1]};
      rmsNorm(h[rows - 1], finalNorm, last[0]);
      if (logitIds != null && SPARSE_HEAD && head.plain()) {
        return someLogits(last[0], logitIds);
      }
      float[][] out = {new float[vocab]};
      project(head, last, 1, out);
      return out[0];
    }

    /**
     * The layers for rows {@code 0..rows-1} of {@code h}: row b is position {@code rowPosition[b]} of the sequence in
     * {@code rowCache[b]}. Every row's keys and values are written before any row's attention, so rows of one
     * sequence (prefill) see each other up to their own position.
     */
    private void layers(int rows) {
      for (int l = 0; l < layers.length; l++) {
        Layer layer = layers[l];
        for (int b = 0; b < rows; b++) {
          rmsNorm(h[b], layer.inputNorm, x[b]);
        }
        project(layer.qkv, x, rows, qkv);
        int kOffset = heads * dim;
        int vOffset = kOffset + kvHeads * dim;
        for (int b = 0; b < rows; b++) {
          int position = rowPosition[b];
          rotary.copy(position, cos, sin, 0);
          float[] row = qkv[b];
          for (int hd = 0; hd < heads + kvHeads; hd++) {
            rope(row, hd * dim);
          }
          rowCache[b].writeHost(l, position, row, kOffset, vOffset);
        }
        for (int b = 0; b < rows; b++) {
          attention(rowCache[b], l, rowPosition[b] + 1, qkv[b], ctx[b]);
        }
        project(layer.o, ctx, rows, proj);
        for (int b = 0; b < rows; b++) {
          add(h[b], proj[b], hidden);
          rmsNorm(h[b], layer.postNorm, x[b]);
        }
        project(layer.gateUp, x, rows, gateUp);
        for (int b = 0; b < rows; b++) {
          if (VECTOR) {
            VectorKernels.swiGlu(gateUp[b], intermediate, act[b]);
          } else {
            swiGlu(gateUp[b], intermediate, act[b]);
          }
        }
        project(layer.down, act, rows, proj);
        for (int b = 0; b < rows; b++) {
          add(h[b], proj[b], hidden);
        }
      }
    }

    private void ensureCapacity(int rows) {
      if (rows <= capacity) {
        return;
      }
      int n = Math.max(rows, capacity * 2);
      h = new float[n][hidden];
      x = new float[n][hidden];
      qkv = new float[n][(heads + 2 * kvHeads) * dim];
      ctx = new float[n][heads * dim];
      proj = new float[n][hidden];
      gateUp = new float[n][2 * intermediate];
      act = new float[n][intermediate];
      low = new float[n][];
      rowCache = new KvCache[n];
      rowPosition = new int[n];
      capacity = n;
    }

    /** {@code y[b] = x[b] W^T + bias (+ LoRA)} for the first {@code rows} rows. */
    private void project(Dense d, float[][] in, int rows, float[][] out) {
      d.product(in, rows, out);
      if (d.bias != null) {
        for (int b = 0; b < rows; b++) {
          add(out[b], d.bias, d.out);
        }
      }
      if (d.loraA != null) {
        int rank = d.loraA.length;
        for (int b = 0; b < rows; b++) {
          if (low[b] == null || low[b].length != rank) {
            low[b] = new float[rank];
          }
          for (int r = 0; r < rank; r++) {
            low[b][r] = dot(d.loraA[r], in[b], d.in) * d.loraScaling[r];
          }
        }
        d.loraProduct(low, rows, out);
      }
    }

    /**
     * Attention of one sequence's query heads ({@code qRow} from offset 0) over the first {@code length} positions of its
     * cache: {@link #scores} (the keys are stored transposed), softmax, then {@link #weightedValues}, each on the
     * Vector API with {@link #VECTOR} and bitwise the same without it.
     */
    private void attention(KvCache cache, int layer, int length, float[] qRow, float[] out) {
      float[][][] keys = cache.hostKeys(layer);
      float[][] values = cache.hostValues(layer);
      if (scores.length < length + SCORE_PAD) {
        int n = Math.max(length, scores.length * 2) + SCORE_PAD;
        scores = new float[n];
        pairScores = new float[n];
      }
      if (VECTOR && VectorKernels.fitsValues(dim)) {
        // the query heads of a key-value head two at a time: each value vector is read once for both
        for (int hd = 0; hd < heads; ) {
          int g = hd / group;
          boolean pair = hd + 1 < heads && (hd + 1) / group == g;
          softmaxScores(qRow, hd * dim, keys[g], length, scores);
          if (pair) {
            softmaxScores(qRow, (hd + 1) * dim, keys[g], length, pairScores);
          }
          VectorKernels.weightedValues(scores, pair ? pairScores : null, values, kvHeads, g, length, dim, out,
              hd * dim, (hd + 1) * dim);
          hd += pair ? 2 : 1;
        }
        return;
      }
      for (int hd = 0; hd < heads; hd++) {
        int g = hd / group;
        softmaxScores(qRow, hd * dim, keys[g], length, scores);
        weightedValues(scores, values, kvHeads, g, length, dim, acc, out, hd * dim);
      }
    }

    /**
     * {@code s[t]} for t below length: the softmax over the positions of the scaled scores of the query head at
     * {@code qOff} ({@link #scores}, times the scale, exp of the difference to the largest, over their sum in position
     * order), on the Vector API with {@link #VECTOR} and bitwise the same without it.
     */
    private void softmaxScores(float[] qRow, int qOff, float[][] keys, int length, float[] s) {
      float max;
      if (VECTOR) {
        VectorKernels.scores(qRow, qOff, keys, dim, length, s);
        max = VectorKernels.scale(s, length, scale);
        VectorKernels.expShifted(s, length, max);
      } else {
        scores(qRow, qOff, keys, dim, length, s);
        max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < length; t++) {
          float score = s[t] * scale;
          s[t] = score;
          max = Math.max(max, score);
        }
        for (int t = 0; t < length; t++) {
          s[t] = Exp.exp(s[t] - max);
        }
      }
      float sum = 0f;
      for (int t = 0; t < length; t++) {
        sum += s[t];
      }
      if (VECTOR) {
        VectorKernels.divide(s, length, sum);
      } else {
        for (int t = 0; t < length; t++) {
          s[t] = s[t] / sum;
        }
      }
    }

    /** {@code x * cos + rotate_half(x) * sin} in place for the head at {@code off}. */
    private void rope(float[] row, int off) {
      int half = dim / 2;
      for (int i = 0; i < half; i++) {
        float a = row[off + i];
        float c = row[off + half + i];
        row[off + i] = a * cos[i] + -c * sin[i];
        row[off + half + i] = c * cos[half + i] + a * sin[half + i];
      }
    }

  }

  /**
   * Attention scores of one query head ({@code q} from {@code qOff}) over positions {@code 0..length-1} of keys stored
   * transposed ({@code keys[d][t]}): {@code s[t] = fma(q[d], k[d][t], s[t])} for d from 0 up, starting from 0, four
   * dimensions per pass over the positions (the order {@link VectorKernels#scores} keeps too).
   */
  static void scores(float[] q, int qOff, float[][] keys, int dim, int length, float[] s) {
    java.util.Arrays.fill(s, 0, length, 0f);
    int d = 0;
    for (; d + 4 <= dim; d += 4) {
      float q0 = q[qOff + d];
      float q1 = q[qOff + d + 1];
      float q2 = q[qOff + d + 2];
      float q3 = q[qOff + d + 3];
      float[] k0 = keys[d];
      float[] k1 = keys[d + 1];
      float[] k2 = keys[d + 2];
      float[] k3 = keys[d + 3];
      for (int t = 0; t < length; t++) {
        s[t] = Math.fma(q3, k3[t], Math.fma(q2, k2[t], Math.fma(q1, k1[t], Math.fma(q0, k0[t], s[t]))));
      }
    }
    for (; d < dim; d++) {
      float q0 = q[qOff + d];
      float[] k0 = keys[d];
      for (int t = 0; t < length; t++) {
        s[t] = Math.fma(q0, k0[t], s[t]);
      }
    }
  }

  /**
   * The values weighted by {@code p[t]}, in position order, into {@code out[off ..]}: {@code acc[i] = fma(p[t],
   * v_t[i], acc[i])} for t from 0 up, starting from 0, where {@code v_t = values[t * stride + head]} (the order
   * {@link VectorKernels#weightedValues} keeps too); {@code acc} is scratch of at least {@code dim}.
   */
  static void weightedValues(float[] p, float[][] values, int stride, int head, int length, int dim, float[] acc,
      float[] out, int off) {
    java.util.Arrays.fill(acc, 0, dim, 0f);
    for (int t = 0, v = head; t < length; t++, v += stride) {
      float pt = p[t];
      float[] vt = values[v];
      for (int i = 0; i < dim; i++) {
        acc[i] = Math.fma(pt, vt[i], acc[i]);
      }
    }
    System.arraycopy(acc, 0, out, off, dim);
  }

  /** SwiGLU: {@code a[j] = g / (1 + exp(-g)) * u} with {@code g = gu[j]}, {@code u = gu[n + j]}, for j below n. */
  static void swiGlu(float[] gu, int n, float[] a) {
    for (int j = 0; j < n; j++) {
      float g = gu[j];
      a[j] = g / (Exp.exp(-g) + 1f) * gu[n + j];
    }
  }

  /** {@code out = x / sqrt(mean(x^2) + eps) * weight}. */
  private void rmsNorm(float[] in, float[] weight, float[] out) {
    double squares = 0;
    for (int j = 0; j < hidden; j++) {
      squares += in[j] * in[j];
    }
    float rms = (float) Math.sqrt((float) (squares / hidden) + eps);
    for (int j = 0; j < hidden; j++) {
      out[j] = in[j] / rms * weight[j];
    }
  }

  private static void add(float[] y, float[] x, int n) {
    for (int j = 0; j < n; j++) {
      y[j] += x[j];
    }
  }

  /** Dot product with four partial sums (a fixed order). */
  private static float dot(float[] a, float[] b, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
      s2 += a[i + 2] * b[i + 2];
      s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) {
      s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
