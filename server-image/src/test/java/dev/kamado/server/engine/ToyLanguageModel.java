package dev.kamado.server.engine;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small deterministic language model for engine tests: the logits of a sequence are a hash of that sequence's own
 * tokens, so they cannot depend on the batch, and a wrong cache hand-off or a mixed-up batch row changes the output.
 * Tokens 0-25 are a-z, 26 is a space, 27 is the end-of-sequence token.
 */
final class ToyLanguageModel implements LanguageModel {

  static final int VOCAB = 28;
  static final int EOS = 27;

  final AtomicInteger openCaches = new AtomicInteger();
  final AtomicInteger decodeCalls = new AtomicInteger();
  final AtomicInteger largestBatch = new AtomicInteger();
  /** Rows of steps told that only some logits are needed. */
  final AtomicInteger rowsWithFewLogits = new AtomicInteger();
  private final long stepDelayNanos;
  private final int context;

  ToyLanguageModel(long stepDelayNanos, int context) {
    this.stepDelayNanos = stepDelayNanos;
    this.context = context;
  }

  static byte[][] tokenBytes() {
    byte[][] bytes = new byte[VOCAB][];
    for (int i = 0; i < 26; i++) {
      bytes[i] = new byte[] {(byte) ('a' + i)};
    }
    bytes[26] = " ".getBytes(StandardCharsets.UTF_8);
    return bytes;
  }

  @Override
  public int vocabSize() {
    return VOCAB;
  }

  @Override
  public int contextLength() {
    return context;
  }

  @Override
  public SequenceCache newCache(int capacityTokens) {
    openCaches.incrementAndGet();
    return new Cache();
  }

  @Override
  public float[] prefill(SequenceCache cache, int[] tokens) {
    Cache c = (Cache) cache;
    for (int t : tokens) {
      c.push(t);
    }
    return c.logits();
  }

  @Override
  public float[][] decode(List<SequenceCache> caches, int[] nextTokens) {
    decodeCalls.incrementAndGet();
    largestBatch.accumulateAndGet(caches.size(), Math::max);
    if (stepDelayNanos > 0) {
      long end = System.nanoTime() + stepDelayNanos;
      while (System.nanoTime() < end) {
        Thread.onSpinWait();
      }
    }
    float[][] rows = new float[caches.size()][];
    for (int i = 0; i < rows.length; i++) {
      Cache c = (Cache) caches.get(i);
      c.push(nextTokens[i]);
      rows[i] = c.logits();
    }
    return rows;
  }

  /**
   * The step, with every logit a row was not asked for set to +inf (what an argmax would pick): an engine that gives a
   * row another row's ids, or samples a logit it did not ask for, gets other answers.
   */
  @Override
  public float[][][] step(List<SequenceCache> caches, int[] nextTokens, int[][] logitIds,
      List<SequenceCache> joinCaches, List<int[]> prompts, int[][] joinLogitIds) {
    float[][][] out = step(caches, nextTokens, joinCaches, prompts);
    spoilUnasked(out[0], logitIds);
    spoilUnasked(out[1], joinLogitIds);
    return out;
  }

  private void spoilUnasked(float[][] rows, int[][] ids) {
    for (int r = 0; ids != null && r < rows.length; r++) {
      if (ids[r] != null) {
        rowsWithFewLogits.incrementAndGet();
        float[] row = rows[r];
        for (int v = 0; v < row.length; v++) {
          if (java.util.Arrays.binarySearch(ids[r], v) < 0) {
            row[v] = Float.POSITIVE_INFINITY;
          }
        }
      }
    }
  }

  @Override
  public void close() {
  }

  private final class Cache implements SequenceCache {
    private long hash = 17;
    private int length;
    private boolean closed;

    void push(int token) {
      if (closed) {
        throw new IllegalStateException("cache used after close");
      }
      hash = hash * 1_000_003L + token + 1;
      length++;
    }

    float[] logits() {
      float[] out = new float[VOCAB];
      for (int i = 0; i < VOCAB; i++) {
        long x = (hash + i) * 0x9E3779B97F4A7C15L;
        x ^= x >>> 29;
        out[i] = (x & 0xFFFF) / 4096f;
      }
      out[EOS] -= 3f;
      return out;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        openCaches.decrementAndGet();
      }
    }
  }
}
