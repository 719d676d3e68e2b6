package dev.kamado.server.engine;

import java.util.List;

/**
 * How to pick tokens for one request.
 *
 * @param maxTokens most tokens to generate (at least 1)
 * @param temperature 0 for greedy, else the softmax temperature
 * @param topP nucleus sampling mass in (0, 1]
 * @param seed seed of this request's own random stream, so its samples do not depend on the batch
 * @param stop stop strings: generation ends before the first occurrence, which is not returned
 * @param ignoreEos never pick an end-of-sequence token (fixed-length output for benchmarks)
 */
public record SamplingParams(int maxTokens, double temperature, double topP, long seed, List<String> stop,
    boolean ignoreEos) {

  /** Checks the ranges. */
  public SamplingParams {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and not negative, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
    }
    stop = List.copyOf(stop);
  }

  /** Parameters that stop at end-of-sequence tokens. */
  public SamplingParams(int maxTokens, double temperature, double topP, long seed, List<String> stop) {
    this(maxTokens, temperature, topP, seed, stop, false);
  }

  /** Whether tokens are picked by argmax. */
  public boolean greedy() {
    return temperature == 0;
  }
}
