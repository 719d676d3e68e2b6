package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import dev.kamado.model.ModelConfig;
import java.util.List;

/**
 * Decode steps computed in plain Java on the model's weights ({@link LlamaModel.DecodeMode#JAVA}): no libtorch call per
 * step. Each sequence of a batch is computed on its own with a fixed order of every floating-point operation, so its
 * logits are bitwise the same whatever else is in the batch (Java's {@code float} arithmetic is exactly rounded, never
 * fused, and the same in the interpreter and in compiled code), and the weights are read once per step for the whole
 * batch.
 *
 * <p>Products run on a transposed copy of each weight, one {@code float[out]} per input feature ({@code [in][out]}):
 * the inner loop {@code y[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j] + x3 * w3[j]} over four input features at a time
 * is one the JIT compiler vectorises (AVX-512/AVX2), and the four weight rows stay in the cache while every sequence of
 * the batch reads them. The LM head is computed in column blocks of {@link #HEAD_BLOCK} so that its outputs stay in the
 * cache across the inner loop. Attention runs per sequence and per head on the {@link KvCache}'s Java storage.
 *
 * <p>With {@link #decodeThreads(int) decode threads} above 1, a step of two or more sequences splits its sequences
 * into contiguous parts, one per thread (the caller's thread takes the first part, a small fixed pool of daemon threads
 * the others), each with its own scratch buffers; every sequence's arithmetic is the same whatever part it falls in, so
 * results stay bitwise batch-invariant. A register-blocked kernel (several sequences per pass over a weight row) was
 * measured and not kept: Java 17's compiler does not vectorise a loop with several output rows (about 6 GMAC/s against
 * 20-25 for the one-row loop, see server-image/README.md).
 *
 * <p>Not thread-safe: one caller at a time (scratch buffers are reused from step to step).
 */
final class JavaDecoder implements AutoCloseable {

  /** Output columns per block of a product (the LM head: 32000 columns in blocks of 4096). */
  static final int HEAD_BLOCK = 4096;

  /**
   * Linear projections that read the same input, fused into one as Java arrays: the transposed weights side by side
   * ({@code [in][out_1 + out_2 + ...]}), the biases likewise (zeros for a part without one), and the LoRA updates
   * stacked (A rows of every part, each with its scaling; B transposed and widened to the fused columns with zeros
   * outside its part, so adding it changes only its own part's outputs).
   */
  private static final class Dense {
    final float[][] weightT;
    final float[] bias;
    final float[][] loraA;
    final float[] loraScaling;
    final float[][] loraBt;
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
      this.weightT = new float[in][total];
      this.bias = anyBias ? new float[total] : null;
      this.loraA = rank == 0 ? null : new float[rank][];
      this.loraScaling = rank == 0 ? null : new float[rank];
      this.loraBt = rank == 0 ? null : new float[rank][total];
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
    }

    long bytes() {
      long n = (long) in * out + (bias == null ? 0 : out);
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

  /** Scratch per part of a step; {@code workers[0]} runs on the caller's thread. */
  private Worker[] workers;
  /** Threads for parts 1.. of a step, null with one decode thread. */
  private java.util.concurrent.ExecutorService pool;
  private final java.util.List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>();

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
    for (int i = 0; i < layers.length; i++) {
      layers[i] = new Layer(decoderLayers[i]);
      for (Dense d : List.of(layers[i].qkv, layers[i].o, layers[i].gateUp, layers[i].down)) {
        total += d.bytes();
      }
    }
    this.finalNorm = finalNorm.toFloatArray();
    this.head = new Dense(lmHead);
    this.bytes = total + head.bytes();
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
      java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
      pool = java.util.concurrent.Executors.newFixedThreadPool(threads - 1, r -> {
        Thread t = new Thread(r, "kamado-decode-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
  }

  /** Threads a step is split over. */
  int decodeThreads() {
    return workers.length;
  }

  /** Stops the decode threads (a later {@link #decodeThreads(int)} starts new ones). */
  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
      pool = null;
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
    int rows = caches.size();
    float[][] logits = new float[rows][];
    int parts = Math.min(workers.length, rows);
    if (parts <= 1) {
      workers[0].decode(caches, tokens, 0, rows, logits);
    } else {
      pending.clear();
      for (int p = 1; p < parts; p++) {
        Worker w = workers[p];
        int from = rows * p / parts;
        int to = rows * (p + 1) / parts;
        pending.add(pool.submit(() -> w.decode(caches, tokens, from, to, logits)));
      }
      Throwable failure = null;
      try {
        workers[0].decode(caches, tokens, 0, rows / parts, logits);
      } catch (RuntimeException | Error e) {
        failure = e;
      }
      boolean interrupted = false;
      for (java.util.concurrent.Future<?> f : pending) { // every part ends before the step returns or throws
        while (true) {
          try {
            f.get();
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          } catch (java.util.concurrent.ExecutionException e) {
            failure = failure != null ? failure : e.getCause();
            break;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (failure instanceof RuntimeException r) {
        throw r;
      }
      if (failure instanceof Error err) {
        throw err;
      }
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
    }
    for (KvCache cache : caches) {
      cache.advance(1);
    }
    return logits;
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
   * {@code y[b][j] (+)= sum_i x[b][i] * wT[i][j]} for b below rows, j below out: four input features at a time (in
   * this order, for every row alike), in column blocks of {@link #HEAD_BLOCK}.
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
            yb[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j] + x3 * w3[j];
          }
        }
      }
      for (; i < in; i++) {
        float[] w0 = wT[i];
        for (int b = 0; b < rows; b++) {
          float x0 = x[b][i];
          float[] yb = y[b];
          for (int j = j0; j < j1; j++) {
            yb[j] += x0 * w0[j];
          }
        }
      }
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
    private float[][] logitRows = new float[0][];
    private final float[] cos = new float[dim];
    private final float[] sin = new float[dim];
    private final float[] acc = new float[dim];
    private float[] scores = new float[256];

    /** Decodes sequences {@code from..to-1} of the step into {@code logits[from..to-1]}; does not advance caches. */
    void decode(List<KvCache> caches, long[] tokens, int from, int to, float[][] logits) {
      int rows = to - from;
      ensureCapacity(rows);
      for (int b = 0; b < rows; b++) {
        System.arraycopy(embedding((int) tokens[from + b]), 0, h[b], 0, hidden);
      }
      for (int l = 0; l < layers.length; l++) {
        Layer layer = layers[l];
        for (int b = 0; b < rows; b++) {
          rmsNorm(h[b], layer.inputNorm, x[b]);
        }
        project(layer.qkv, x, rows, qkv);
        int kOffset = heads * dim;
        int vOffset = kOffset + kvHeads * dim;
        for (int b = 0; b < rows; b++) {
          KvCache cache = caches.get(from + b);
          int position = cache.length();
          rotary.copy(position, cos, sin, 0);
          float[] row = qkv[b];
          for (int hd = 0; hd < heads + kvHeads; hd++) {
            rope(row, hd * dim);
          }
          cache.writeHost(l, position, row, kOffset, vOffset);
          attention(cache, l, position + 1, row, ctx[b]);
        }
        project(layer.o, ctx, rows, proj);
        for (int b = 0; b < rows; b++) {
          add(h[b], proj[b], hidden);
          rmsNorm(h[b], layer.postNorm, x[b]);
        }
        project(layer.gateUp, x, rows, gateUp);
        for (int b = 0; b < rows; b++) {
          float[] gu = gateUp[b];
          float[] a = act[b];
          for (int j = 0; j < intermediate; j++) {
            float g = gu[j];
            a[j] = g / (1f + (float) Math.exp(-g)) * gu[intermediate + j];
          }
        }
        project(layer.down, act, rows, proj);
        for (int b = 0; b < rows; b++) {
          add(h[b], proj[b], hidden);
        }
      }
      float[][] out = rows == logitRows.length ? logitRows : new float[rows][];
      logitRows = out;
      for (int b = 0; b < rows; b++) {
        rmsNorm(h[b], finalNorm, x[b]);
        out[b] = new float[vocab];
      }
      project(head, x, rows, out);
      System.arraycopy(out, 0, logits, from, rows);
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
      capacity = n;
    }

    /** {@code y[b] = x[b] W^T + bias (+ LoRA)} for the first {@code rows} rows. */
    private void project(Dense d, float[][] in, int rows, float[][] out) {
      matmul(d.weightT, d.in, d.out, in, rows, out, false);
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
        matmul(d.loraBt, rank, d.out, low, rows, out, true);
      }
    }

    /**
     * Attention of one sequence's query heads ({@code qRow} from offset 0) over the first {@code length} positions of its
     * cache: scores as four head dimensions at a time over all positions (the keys are stored transposed), softmax,
     * then the values weighted in position order.
     */
    private void attention(KvCache cache, int layer, int length, float[] qRow, float[] out) {
      float[][][] keys = cache.hostKeys(layer);
      float[][] values = cache.hostValues(layer);
      if (scores.length < length) {
        scores = new float[Math.max(length, scores.length * 2)];
      }
      float[] s = scores;
      for (int hd = 0; hd < heads; hd++) {
        int g = hd / group;
        int qOff = hd * dim;
        float[][] kg = keys[g];
        java.util.Arrays.fill(s, 0, length, 0f);
        int d = 0;
        for (; d + 4 <= dim; d += 4) {
          float q0 = qRow[qOff + d];
          float q1 = qRow[qOff + d + 1];
          float q2 = qRow[qOff + d + 2];
          float q3 = qRow[qOff + d + 3];
          float[] k0 = kg[d];
          float[] k1 = kg[d + 1];
          float[] k2 = kg[d + 2];
          float[] k3 = kg[d + 3];
          for (int t = 0; t < length; t++) {
            s[t] += q0 * k0[t] + q1 * k1[t] + q2 * k2[t] + q3 * k3[t];
          }
        }
        for (; d < dim; d++) {
          float q0 = qRow[qOff + d];
          float[] k0 = kg[d];
          for (int t = 0; t < length; t++) {
            s[t] += q0 * k0[t];
          }
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < length; t++) {
          float score = s[t] * scale;
          s[t] = score;
          max = Math.max(max, score);
        }
        float sum = 0f;
        for (int t = 0; t < length; t++) {
          float e = (float) Math.exp(s[t] - max);
          s[t] = e;
          sum += e;
        }
        java.util.Arrays.fill(acc, 0f);
        for (int t = 0; t < length; t++) {
          float p = s[t] / sum;
          float[] vt = values[t * kvHeads + g];
          for (int i = 0; i < dim; i++) {
            acc[i] += p * vt[i];
          }
        }
        System.arraycopy(acc, 0, out, qOff, dim);
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
