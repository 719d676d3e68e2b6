package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of one sequence for every layer, preallocated for {@link #capacity()} tokens (F32,
 * {@code [kv_heads, capacity, head_dim]} per layer for keys and for values). Made by {@link LlamaModel#newCache(int)};
 * {@link LlamaModel#prefill} and {@link LlamaModel#decode} append to it. Not thread-safe: one sequence, one caller at
 * a time. {@link #close()} frees its memory.
 */
public final class KvCache implements AutoCloseable {

  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final int capacity;
  private int length;

  KvCache(NDManager parent, int layers, int kvHeads, int headDim, int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
    }
    this.manager = parent.newSubManager();
    this.capacity = capacity;
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    Shape shape = new Shape(kvHeads, capacity, headDim);
    for (int l = 0; l < layers; l++) {
      keys[l] = manager.zeros(shape, DataType.FLOAT32);
      values[l] = manager.zeros(shape, DataType.FLOAT32);
    }
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

  /** Writes {@code k} and {@code v} ({@code [kv_heads, n, head_dim]}) of layer {@code layer} at the current end. */
  void write(int layer, NDArray k, NDArray v) {
    long n = k.getShape().get(1);
    NDIndex at = new NDIndex(":, {}:{}, :", length, length + n);
    keys[layer].set(at, k);
    values[layer].set(at, v);
  }

  /** Keys of a layer for the first {@code tokens} positions, a view attached to {@code scope}. */
  NDArray keys(int layer, int tokens, NDManager scope) {
    return keys[layer].get(scope, new NDIndex(":, :{}, :", tokens));
  }

  /** Values of a layer for the first {@code tokens} positions, a view attached to {@code scope}. */
  NDArray values(int layer, int tokens, NDManager scope) {
    return values[layer].get(scope, new NDIndex(":, :{}, :", tokens));
  }

  void advance(int tokens) {
    length += tokens;
  }
}
