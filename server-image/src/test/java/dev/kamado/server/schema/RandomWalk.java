package dev.kamado.server.schema;

import java.io.ByteArrayOutputStream;
import java.util.Random;

/** A "model" that picks uniformly at random among the tokens the constraint allows (seeded). */
final class RandomWalk {

  /** What one generation produced. */
  record Generation(byte[] bytes, int tokens, boolean endedWithEos, boolean complete) {
  }

  private RandomWalk() {
  }

  static Generation generate(ConstrainedDecoder decoder, int budget, Random random) {
    TokenVocabulary v = decoder.vocabulary();
    long[] mask = new long[v.maskWords()];
    int[] allowed = new int[v.size()];
    ConstrainedDecoder.State s = decoder.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int remaining = budget;
    int used = 0;
    while (remaining > 0) {
      decoder.allowedTokens(s, remaining, mask);
      int n = 0;
      for (int w = 0; w < mask.length; w++) {
        long bits = mask[w];
        while (bits != 0) {
          allowed[n++] = (w << 6) + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
        }
      }
      if (n == 0) {
        throw new AssertionError("no token allowed at " + s + " with " + remaining + " tokens left after "
            + out.toString(java.nio.charset.StandardCharsets.UTF_8));
      }
      int token = allowed[random.nextInt(n)];
      byte[] bytes = v.bytes(token);
      if (bytes == null) {
        return new Generation(out.toByteArray(), used, true, decoder.isComplete(s));
      }
      out.writeBytes(bytes);
      s = decoder.advance(s, token);
      used++;
      remaining--;
    }
    return new Generation(out.toByteArray(), used, false, decoder.isComplete(s));
  }
}
