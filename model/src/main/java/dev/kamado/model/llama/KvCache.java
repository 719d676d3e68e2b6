package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Keys and values of one sequence for every layer, for at most {@link #capacity()} tokens. Made by
 * {@link LlamaModel#newCache(int)}; {@link LlamaModel#prefill} and {@link LlamaModel#decode} append to it. Not
 * thread-safe: one sequence, one caller at a time. {@link #close()} frees its memory.
 *
 * <p>Two storages, one in use at a time (the model moves the tokens over when its decode mode needs the other):
 * <ul>
 *   <li>Java arrays ({@link LlamaModel.DecodeMode#JAVA}): keys transposed, one {@code float[tokens]} per layer,
 *       key/value head and head dimension (so a query's scores over all positions are one vectorisable loop), values
 *       one {@code float[head_dim]} per layer, token and key/value head; grown as tokens arrive (memory follows the
 *       tokens held, not the capacity);</li>
 *   <li>libtorch arrays (the other modes): F32 {@code [kv_heads, capacity, head_dim]} per layer for keys and for
 *       values, allocated in full at the first write.</li>
 * </ul>
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  private final int layers;
  private final int kvHeads;
  private final int headDim;
  private final int capacity;
  private int length;
  /** Whether the tokens are in the Java arrays (else in the libtorch arrays). */
  private boolean host;
  private NDArray[] keys;
  private NDArray[] values;
  /**
   * Key rows of Java storage are allocated to a multiple of this many tokens: kernels may read whole vectors of
   * positions past the length (what they hold there is not used).
   */
  static final int KEY_PAD = 64;
  /**
   * {@code hostKeys[layer][head][d][token]}: keys transposed, room for {@link #hostTokens} tokens rounded up to a
   * multiple of {@link #KEY_PAD}.
   */
  private float[][][][] hostKeys;
  /** {@code hostValues[layer][token * kvHeads + head]}: one value vector; null entries past the tokens written. */
  private float[][][] hostValues;
  private int hostTokens;

  KvCache(NDManager parent, int layers, int kvHeads, int headDim, int capacity, boolean host) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
    }
    this.manager = parent.newSubManager();
    this.layers = layers;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.capacity = capacity;
    this.host = host;
  }

  /** Tokens held so far. */
  public int length() {
    return length;
  }

  /** Most tokens this cache can hold. */
  public int capacity() {
    return capacity;
  }

  /** Tokens that can still be appended. */
  public int remaining() {
    return capacity - length;
  }

  /** Forgets all tokens (keeps the memory), so the cache can serve a new sequence. */
  public void clear() {
    checkOpen();
    length = 0;
  }

  /** Drops the tokens after the first {@code newLength} (for example to reuse a shared prompt prefix). */
  public void truncate(int newLength) {
    checkOpen();
    if (newLength < 0 || newLength > length) {
      throw new IllegalArgumentException("cannot truncate a KV cache of " + length + " tokens to " + newLength);
    }
    length = newLength;
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return !manager.isOpen();
  }

  /** Frees the cache's memory. */
  @Override
  public void close() {
    manager.close();
    hostKeys = null;
    hostValues = null;
    hostTokens = 0;
  }

  void checkRoom(int tokens) {
    checkOpen();
    if (tokens > capacity - length) {
      throw new IllegalStateException("KV cache full: holds " + length + " of " + capacity + " tokens, cannot append "
          + tokens);
    }
  }

  void checkOpen() {
    if (!manager.isOpen()) {
      throw new IllegalStateException("KV cache is closed");
    }
  }

  /** Moves the tokens held to the Java arrays ({@code true}) or to the libtorch arrays ({@code false}). */
  void useHost(boolean wanted) {
    if (wanted == host) {
      return;
    }
    if (wanted) {
      int n = length;
      for (int l = 0; l < layers && n > 0 && keys != null; l++) {
        try (NDManager scratch = manager.newSubManager()) {
          float[] k = keys(l, n, scratch).toFloatArray();
          float[] v = values(l, n, scratch).toFloatArray();
          for (int t = 0; t < n; t++) {
            putHost(l, t, k, v, t, n);
          }
        }
      }
      if (keys != null) {
        for (int l = 0; l < layers; l++) {
          keys[l].close();
          values[l].close();
        }
        keys = null;
        values = null;
      }
      host = true;
    } else {
      float[][][][] hk = hostKeys;
      float[][][] hv = hostValues;
      host = false;
      hostKeys = null;
      hostValues = null;
      hostTokens = 0;
      if (length > 0) {
        allocateNd();
        for (int l = 0; l < layers; l++) {
          try (NDManager scratch = manager.newSubManager()) {
            NDArray k = scratch.create(gatherKeys(hk[l], length), new Shape(kvHeads, length, headDim));
            NDArray v = scratch.create(gather(hv[l], length), new Shape(kvHeads, length, headDim));
            NDIndex at = new NDIndex().addAllDim().addSliceDim(0, length).addAllDim();
            keys[l].set(at, k);
            values[l].set(at, v);
          }
        }
      }
    }
  }

  /** Writes {@code k} and {@code v} ({@code [kv_heads, n, head_dim]}) of layer {@code layer} at the current end. */
  void write(int layer, NDArray k, NDArray v) {
    long n = k.getShape().get(1);
    if (host) {
      float[] kf = k.toFloatArray();
      float[] vf = v.toFloatArray();
      for (int t = 0; t < n; t++) {
        putHost(layer, length + t, kf, vf, t, (int) n);
      }
      return;
    }
    if (keys == null) {
      allocateNd();
    }
    NDIndex at = new NDIndex().addAllDim().addSliceDim(length, length + n).addAllDim();
    keys[layer].set(at, k);
    values[layer].set(at, v);
  }

  /** Keys of a layer for the first {@code tokens} positions ({@code [kv_heads, tokens, head_dim]}) in {@code scope}. */
  NDArray keys(int layer, int tokens, NDManager scope) {
    if (host) {
      return scope.create(gatherKeys(hostKeys[layer], tokens), new Shape(kvHeads, tokens, headDim));
    }
    return keys[layer].get(scope, new NDIndex().addAllDim().addSliceDim(0, tokens).addAllDim());
  }

  /** Values of a layer for the first {@code tokens} positions ({@code [kv_heads, tokens, head_dim]}) in {@code scope}. */
  NDArray values(int layer, int tokens, NDManager scope) {
    if (host) {
      return scope.create(gather(hostValues[layer], tokens), new Shape(kvHeads, tokens, headDim));
    }
    return values[layer].get(scope, new NDIndex().addAllDim().addSliceDim(0, tokens).addAllDim());
  }

  /** Java storage: keys of a layer transposed, {@code [head][d][token]} (valid below the length written). */
  float[][][] hostKeys(int layer) {
    return hostKeys[layer];
  }

  /** Java storage: value vectors of a layer, {@code [token * kv_heads + head]}. */
  float[][] hostValues(int layer) {
    return hostValues[layer];
  }

  /**
   * Java storage: writes the keys and values of one token of a layer, {@code kv_heads * head_dim} floats each, from
   * {@code row} at {@code kOffset} and {@code vOffset}.
   */
  void writeHost(int layer, int token, float[] row, int kOffset, int vOffset) {
    ensureHost(token + 1);
    float[][][] kl = hostKeys[layer];
    float[][] vl = hostValues[layer];
    for (int g = 0; g < kvHeads; g++) {
      float[][] kg = kl[g];
      int from = kOffset + g * headDim;
      for (int d = 0; d < headDim; d++) {
        kg[d][token] = row[from + d];
      }
      int slot = token * kvHeads + g;
      vl[slot] = fill(vl[slot], row, vOffset + g * headDim);
    }
  }

  /** Token {@code t} of {@code [kv_heads, n, head_dim]} arrays {@code k} and {@code v} goes to position {@code token}. */
  private void putHost(int layer, int token, float[] k, float[] v, int t, int n) {
    ensureHost(token + 1);
    float[][][] kl = hostKeys[layer];
    float[][] vl = hostValues[layer];
    for (int g = 0; g < kvHeads; g++) {
      int src = (g * n + t) * headDim;
      float[][] kg = kl[g];
      for (int d = 0; d < headDim; d++) {
        kg[d][token] = k[src + d];
      }
      int slot = token * kvHeads + g;
      vl[slot] = fill(vl[slot], v, src);
    }
  }

  private float[] fill(float[] slot, float[] src, int from) {
    float[] out = slot == null ? new float[headDim] : slot;
    System.arraycopy(src, from, out, 0, headDim);
    return out;
  }

  private void ensureHost(int tokens) {
    if (tokens <= hostTokens) {
      return;
    }
    int n = Math.min(capacity, Math.max(tokens, Math.max(16, hostTokens * 2)));
    if (hostKeys == null) {
      hostKeys = new float[layers][kvHeads][headDim][];
      hostValues = new float[layers][][];
    }
    int keyRoom = (n + KEY_PAD - 1) / KEY_PAD * KEY_PAD;
    for (int l = 0; l < layers; l++) {
      for (float[][] kg : hostKeys[l]) {
        for (int d = 0; d < headDim; d++) {
          kg[d] = kg[d] == null ? new float[keyRoom] : Arrays.copyOf(kg[d], keyRoom);
        }
      }
      hostValues[l] = hostValues[l] == null ? new float[n * kvHeads][] : Arrays.copyOf(hostValues[l], n * kvHeads);
    }
    hostTokens = n;
  }

  private float[] gatherKeys(float[][][] keysT, int tokens) {
    float[] out = new float[kvHeads * tokens * headDim];
    for (int g = 0; g < kvHeads; g++) {
      for (int d = 0; d < headDim; d++) {
        float[] kd = keysT[g][d];
        for (int t = 0; t < tokens; t++) {
          out[(g * tokens + t) * headDim + d] = kd[t];
        }
      }
    }
    return out;
  }

  private float[] gather(float[][] rows, int tokens) {
    float[] out = new float[kvHeads * tokens * headDim];
    for (int g = 0; g < kvHeads; g++) {
      for (int t = 0; t < tokens; t++) {
        System.arraycopy(rows[t * kvHeads + g], 0, out, (g * tokens + t) * headDim, headDim);
      }
    }
    return out;
  }

  private void allocateNd() {
    keys = new NDArray[layers];
    values = new NDArray[layers];
    Shape shape = new Shape(kvHeads, capacity, headDim);
    for (int l = 0; l < layers; l++) {
      keys[l] = manager.zeros(shape, DataType.FLOAT32);
      values[l] = manager.zeros(shape, DataType.FLOAT32);
    }
  }

  void advance(int tokens) {
    length += tokens;
  }
}
