package dev.kamado.server.engine;

import dev.kamado.model.llama.Exp;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logits row: constraint mask, then greedy argmax or temperature / top-p sampling with
 * the sequence's own random stream. Owns scratch buffers reused for every call, so it is used by one thread (the
 * engine's) and allocates nothing per token except when top-p &lt; 1 sorts.
 */
final class Sampler {

  /** Weights below this (the largest is 1) are left out of top-p's first, cheaper sort. */
  private static final float PREFILTER = 1f / 256;

  /** A mask allowing at most 1/SPARSE of the vocabulary is sampled among its ids only ({@link #sampleAmong}). */
  private static final int SPARSE = 16;

  private final float[] weights;
  private long[] order;
  /** The running sum {@link #nucleus} reached. */
  private double kept;

  Sampler(int vocabSize) {
    this.weights = new float[vocabSize];
  }

  /**
   * Applies {@code mask} (null = all allowed) to {@code logits} in place and picks a token.
   *
   * @param allowedLimit tokens at or above this id are never picked (ids the tokenizer cannot decode)
   * @return the token id, or -1 when no token is allowed
   */
  int sample(float[] logits, long[] mask, int allowedLimit, SamplingParams params, SplittableRandom random) {
    int vocab = Math.min(logits.length, allowedLimit);
    return sample(logits, mask, mask == null ? null : sparseIds(mask, vocab), allowedLimit, params, random);
  }

  /**
   * {@link #sample(float[], long[], int, SamplingParams, SplittableRandom)} with the mask's {@link #sparseIds} already
   * computed by the caller ({@code sparse}: null when the mask is absent or allows too many ids): a sparse mask is
   * sampled among those ids only, and only their logits are read.
   */
  int sample(float[] logits, long[] mask, int[] sparse, int allowedLimit, SamplingParams params,
      SplittableRandom random) {
    int vocab = Math.min(logits.length, allowedLimit);
    if (sparse != null) {
      return sampleAmong(logits, sparse, vocab, params, random);
    }
    if (mask != null) {
      applyMask(logits, mask, vocab);
    }
    if (params.greedy()) {
      return argmax(logits, vocab);
    }
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      if (logits[i] > max) {
        max = logits[i];
      }
    }
    if (max == Float.NEGATIVE_INFINITY) {
      return -1;
    }
    float invT = (float) (1.0 / params.temperature());
    // e^((l - max) / T), 0 for masked (-inf) logits; Exp gives the same bits vectorised or not, 4-35x faster than
    // Math.exp (per token: 4096 values on the demo model, 32000 and more on larger vocabularies)
    Exp.expScaled(logits, vocab, max, invT, weights);
    double total = 0;
    for (int i = 0; i < vocab; i++) {
      total += weights[i];
    }
    return draw(vocab, total, params, random);
  }

  /**
   * The draw once {@link #weights} hold every id's weight below {@code vocab} (0 where not allowed) and {@code total}
   * their sum in id order: top-p, or the first id whose running sum passes a uniform draw times the total.
   */
  private int draw(int vocab, double total, SamplingParams params, SplittableRandom random) {
    if (params.topP() < 1.0) {
      return sampleTopP(vocab, total, params.topP(), random);
    }
    double u = random.nextDouble() * total;
    double acc = 0;
    int last = -1;
    for (int i = 0; i < vocab; i++) {
      float w = weights[i];
      if (w > 0) {
        acc += w;
        last = i;
        if (acc > u) {
          return i;
        }
      }
    }
    return last;
  }

  /**
   * The ids below {@code vocab} that {@code mask} allows, ascending, when they are at most {@link #SPARSE} of the
   * vocabulary (the logits {@link #sample} reads for that mask, and the only ones); else null.
   */
  static int[] sparseIds(long[] mask, int vocab) {
    int n = countAllowed(mask, vocab);
    if (n > vocab / SPARSE) {
      return null;
    }
    int[] out = new int[n];
    fillIds(mask, vocab, out);
    return out;
  }

  private static int countAllowed(long[] mask, int vocab) {
    int words = (vocab + 63) / 64;
    int count = 0;
    for (int word = 0; word < words; word++) {
      count += Long.bitCount(word == words - 1 && vocab % 64 != 0 ? mask[word] & ((1L << (vocab % 64)) - 1)
          : mask[word]);
    }
    return count;
  }

  /** Puts the ids below {@code vocab} that {@code mask} allows into {@code ids}, ascending; returns their count. */
  private static int fillIds(long[] mask, int vocab, int[] ids) {
    int words = (vocab + 63) / 64;
    int n = 0;
    for (int word = 0; word < words; word++) {
      long bits = mask[word];
      while (bits != 0) {
        int id = word * 64 + Long.numberOfTrailingZeros(bits);
        if (id >= vocab) {
          break;
        }
        ids[n++] = id;
        bits &= bits - 1;
      }
    }
    return n;
  }

  /**
   * {@link #sample} among the {@code allowed} ids only (ascending, below vocab), with the same pick as masking every
   * other logit to -inf and taking the dense path: the same maximum, ties by lower id, the same weights (0 for the
   * others, which leaves every sum unchanged) summed in the same order, the same draw. The logits are left as they
   * are.
   */
  private int sampleAmong(float[] logits, int[] allowed, int vocab, SamplingParams params, SplittableRandom random) {
    int best = -1;
    float max = Float.NEGATIVE_INFINITY;
    for (int id : allowed) {
      if (logits[id] > max) {
        max = logits[id];
        best = id;
      }
    }
    if (params.greedy() || best < 0) {
      return best;
    }
    float invT = (float) (1.0 / params.temperature());
    Arrays.fill(weights, 0, vocab, 0f);
    double total = 0;
    for (int id : allowed) {
      float w = Exp.exp((logits[id] - max) * invT);
      weights[id] = w;
      total += w;
    }
    return draw(vocab, total, params, random);
  }

  /**
   * Top-p sampling: the smallest set of the largest weights (ties by lower id) whose sum reaches {@code topP} of the
   * total, then a draw within it. The weights at or above {@link #PREFILTER} come first in that order, so the first
   * attempt sorts only them; when their running sum reaches the target, the nucleus, its sums and the draw are exactly
   * those of sorting the whole vocabulary. Only when it does not (a flat distribution) is everything sorted.
   */
  private int sampleTopP(int vocab, double total, double topP, SplittableRandom random) {
    if (order == null) {
      order = new long[weights.length];
    }
    double target = topP * total;
    int n = sortFrom(vocab, PREFILTER);
    int count = nucleus(n, target);
    if (count < 0) {
      n = sortFrom(vocab, Float.MIN_VALUE); // every positive weight
      count = nucleus(n, target);
      if (count < 0) {
        count = n; // float rounding left the sum just short of the target: all of them
      }
    }
    double u = random.nextDouble() * kept;
    double acc = 0;
    for (int k = 0; k < count; k++) {
      int id = (int) order[k];
      acc += weights[id];
      if (acc > u) {
        return id;
      }
    }
    return (int) order[count - 1];
  }

  /** Puts the ids of the weights of at least {@code min} into {@link #order}, largest first; returns their count. */
  private int sortFrom(int vocab, float min) {
    int n = 0;
    for (int i = 0; i < vocab; i++) {
      float w = weights[i];
      if (w >= min) {
        // Positive floats order like their bit patterns; the complement sorts the largest first, ties by lower id.
        order[n++] = ((long) (~Float.floatToIntBits(w) & 0x7FFFFFFF) << 32) | i;
      }
    }
    Arrays.sort(order, 0, n);
    return n;
  }

  /**
   * How many of the first {@code n} ids of {@link #order} it takes for their running sum to reach {@code target}, or
   * -1 if all of them do not; {@link #kept} is the running sum reached.
   */
  private int nucleus(int n, double target) {
    kept = 0;
    for (int count = 0; count < n; count++) {
      kept += weights[(int) order[count]];
      if (kept >= target) {
        return count + 1;
      }
    }
    return -1;
  }

  private static void applyMask(float[] logits, long[] mask, int vocab) {
    for (int word = 0; word * 64 < vocab; word++) {
      long allowed = mask[word];
      if (allowed == -1L) {
        continue;
      }
      int base = word * 64;
      int end = Math.min(base + 64, vocab);
      for (int i = base; i < end; i++) {
        if ((allowed & (1L << (i - base))) == 0) {
          logits[i] = Float.NEGATIVE_INFINITY;
        }
      }
    }
  }

  private static int argmax(float[] logits, int vocab) {
    int best = -1;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      if (logits[i] > bestValue) {
        bestValue = logits[i];
        best = i;
      }
    }
    return best;
  }
}
