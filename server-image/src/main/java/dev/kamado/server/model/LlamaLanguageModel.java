package dev.kamado.server.model;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.llama.KvCache;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.server.engine.LanguageModel;
import java.util.ArrayList;
import java.util.List;

/** {@link LanguageModel} backed by the shared model core's {@link LlamaModel} and its KV cache. */
public final class LlamaLanguageModel implements LanguageModel {

  private final LlamaModel model;
  private final NDManager manager;
  private final int contextLength;
  private final List<KvCache> batch = new ArrayList<>();

  /**
   * Wraps a loaded model (LoRA already merged), which this object closes.
   *
   * @param model the model
   * @param manager the NDManager the model was loaded into, closed after it
   * @param contextLength longest sequence to accept (at most the model's max_position_embeddings)
   */
  public LlamaLanguageModel(LlamaModel model, NDManager manager, int contextLength) {
    this.model = model;
    this.manager = manager;
    this.contextLength = contextLength;
  }

  /**
   * How the model core decodes a batch (the mode preferred with {@code --decode-mode}, or a fallback when a libtorch
   * mode's CPU check failed); makes the weight copies it reads if no step has yet. Call only while the engine is idle
   * (at start-up).
   */
  public LlamaModel.DecodeMode decodeMode() {
    return model.decodeMode();
  }

  @Override
  public int vocabSize() {
    return model.config().vocabSize();
  }

  @Override
  public int contextLength() {
    return contextLength;
  }

  @Override
  public SequenceCache newCache(int capacityTokens) {
    return new Cache(model.newCache(capacityTokens));
  }

  @Override
  public float[] prefill(SequenceCache cache, int[] tokens) {
    return model.prefill(((Cache) cache).cache, tokens);
  }

  @Override
  public float[][][] step(List<SequenceCache> caches, int[] nextTokens, List<SequenceCache> joinCaches,
      List<int[]> prompts) {
    return step(caches, nextTokens, null, joinCaches, prompts, null);
  }

  @Override
  public float[][][] step(List<SequenceCache> caches, int[] nextTokens, int[][] logitIds,
      List<SequenceCache> joinCaches, List<int[]> prompts, int[][] joinLogitIds) {
    List<KvCache> decoding = new ArrayList<>(caches.size());
    for (SequenceCache c : caches) {
      decoding.add(((Cache) c).cache);
    }
    List<KvCache> joining = new ArrayList<>(joinCaches.size());
    for (SequenceCache c : joinCaches) {
      joining.add(((Cache) c).cache);
    }
    return model.step(decoding, nextTokens, logitIds, joining, prompts, joinLogitIds);
  }

  @Override
  public float[][] decode(List<SequenceCache> caches, int[] nextTokens) {
    batch.clear();
    for (int i = 0; i < caches.size(); i++) {
      batch.add(((Cache) caches.get(i)).cache);
    }
    return model.decode(batch, nextTokens);
  }

  @Override
  public void close() {
    model.close();
    manager.close();
  }

  private static final class Cache implements SequenceCache {
    private final KvCache cache;

    Cache(KvCache cache) {
      this.cache = cache;
    }

    @Override
    public int length() {
      return cache.length();
    }

    @Override
    public void close() {
      cache.close();
    }
  }
}
