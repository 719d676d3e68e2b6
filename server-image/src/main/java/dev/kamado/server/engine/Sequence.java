package dev.kamado.server.engine;

import java.util.SplittableRandom;

/** A request being decoded: its KV cache and generation state. Engine thread only. */
final class Sequence {

  final GenerationRequest request;
  final LanguageModel.SequenceCache cache;
  final SplittableRandom random;
  final TokenConstraint.Cursor cursor;
  final long[] mask;
  /** The ids {@link #mask} allows when they are few ({@link Sampler#sparseIds}), else null; set before each step. */
  int[] sparseIds;
  final Detokenizer text;
  final StopMatcher stops;
  int generated;
  int lastToken;
  long lastTokenNanos;

  Sequence(GenerationRequest request, LanguageModel.SequenceCache cache, int vocabSize, Detokenizer text) {
    this.text = text;
    this.request = request;
    this.cache = cache;
    this.random = new SplittableRandom(request.sampling().seed());
    this.cursor = request.constraint() == null ? null : request.constraint().start();
    this.mask = cursor == null ? null : new long[(vocabSize + 63) / 64];
    this.stops = new StopMatcher(request.sampling().stop());
    this.lastTokenNanos = request.arrivalNanos();
  }

  int remainingTokens() {
    return request.sampling().maxTokens() - generated;
  }
}
