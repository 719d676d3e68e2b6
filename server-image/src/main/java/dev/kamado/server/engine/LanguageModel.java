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
   * {@link #decode} of {@code caches} and {@link #prefill(List, List)} of {@code prompts} into {@code joinCaches} in
   * one call (an implementation may run them side by side); either list may be empty. Checks every argument before
   * anything runs (IllegalArgumentException or IllegalStateException then). Returns the decode rows and the prefill
   * rows.
   */
  default float[][][] step(List<SequenceCache> caches, int[] nextTokens, List<SequenceCache> joinCaches,
      List<int[]> prompts) {
    float[][] prefilled = joinCaches.isEmpty() ? new float[0][] : prefill(joinCaches, prompts);
    float[][] decoded = caches.isEmpty() ? new float[0][] : decode(caches, nextTokens);
    return new float[][][] {decoded, prefilled};
  }

  /**
   * {@link #step(List, int[], List, List)}, told which logits the caller will read: {@code logitIds[i]} and
   * {@code joinLogitIds[i]} (either array may be null, as may an entry: every logit) hold, in ascending order, the only
   * ids whose logits that row needs (a constraint that allows few tokens). An implementation may then compute only
   * those, leaving the row's other logits -inf or their true value; the ones asked for are what a full row holds.
   */
  default float[][][] step(List<SequenceCache> caches, int[] nextTokens, int[][] logitIds,
      List<SequenceCache> joinCaches, List<int[]> prompts, int[][] joinLogitIds) {
    return step(caches, nextTokens, joinCaches, prompts);
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
