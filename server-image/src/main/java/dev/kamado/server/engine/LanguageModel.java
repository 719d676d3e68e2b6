package dev.kamado.server.engine;

import java.util.List;

/**
 * What the engine needs from a causal language model: a KV cache per sequence, prefill of a prompt and one batched
 * decode step. Implementations are used from the engine thread only.
 */
public interface LanguageModel extends AutoCloseable {

  /** Rows of the logits (the model's vocabulary size). */
  int vocabSize();

  /** The longest sequence (prompt plus completion) the model accepts. */
  int contextLength();

  /** A new, empty KV cache for up to {@code capacityTokens} tokens. */
  SequenceCache newCache(int capacityTokens);

  /** Appends {@code tokens} to {@code cache} and returns the logits of the last one. */
  float[] prefill(SequenceCache cache, int[] tokens);

  /**
   * Prefills several sequences ({@code tokens.get(i)} into {@code caches.get(i)}), possibly side by side on several
   * threads; each row is what {@link #prefill(SequenceCache, int[])} of that sequence alone returns.
   */
  default float[][] prefill(List<SequenceCache> caches, List<int[]> tokens) {
    float[][] out = new float[caches.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = prefill(caches.get(i), tokens.get(i));
    }
    return out;
  }

  /**
   * Appends {@code nextTokens[i]} to {@code caches.get(i)} for every i in one batched step and returns one logits row
   * per sequence. A row does not depend on which other sequences are in the batch.
   */
  float[][] decode(List<SequenceCache> caches, int[] nextTokens);

  /**
   * {@link #decode(List, int[])}, then {@code then} for every row, possibly on the thread that decoded it, parts side by
   * side (each row in exactly one part). By default once for all rows, as part 0, on the caller's thread.
   */
  default float[][] decode(List<SequenceCache> caches, int[] nextTokens, DecodedRows then) {
    float[][] logits = decode(caches, nextTokens);
    then.decoded(0, 0, logits.length, logits);
    return logits;
  }

  /** Rows {@code from..to-1} of a decode step's logits are ready; {@code part} numbers the thread (0 = the caller). */
  @FunctionalInterface
  interface DecodedRows {
    void decoded(int part, int from, int to, float[][] logits);
  }

  @Override
  void close();

  /** The KV cache of one sequence. */
  interface SequenceCache extends AutoCloseable {

    /** Tokens held. */
    int length();

    /** Frees the cache's memory. */
    @Override
    void close();
  }
}
