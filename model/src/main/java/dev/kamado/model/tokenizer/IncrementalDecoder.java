package dev.kamado.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streaming detokenizer: feed generated token ids one at a time and get back only complete UTF-8 text, so that a
 * character whose bytes span several tokens (common for Japanese and emoji in byte-level vocabularies) is emitted
 * once all of its bytes have arrived.
 *
 * <p>For well-formed output, the concatenation of everything returned (including {@link #finish()}) equals
 * {@link TextTokenizer#decode(int[], boolean)} of all ids fed. Malformed byte sequences become U+FFFD as in a
 * one-shot decode. Not thread-safe: one instance per stream.
 */
public final class IncrementalDecoder {

  private final TextTokenizer tokenizer;
  private final boolean skipSpecialTokens;
  private final int stripSpaces;
  private byte[] pending = new byte[64];
  private int length;
  private int stripLeft;
  private boolean started;

  IncrementalDecoder(TextTokenizer tokenizer, boolean skipSpecialTokens) {
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = skipSpecialTokens;
    this.stripSpaces = tokenizer.leadingSpacesStripped();
    this.stripLeft = stripSpaces;
  }

  /**
   * Adds one token and returns the text that became complete ("" when none did).
   *
   * @throws IllegalArgumentException when the id is outside the vocabulary
   */
  public String next(int id) {
    StringBuilder out = new StringBuilder();
    next(id, out);
    return out.toString();
  }

  /** Adds one token and appends the text that became complete to {@code out}; returns the number of chars added. */
  public int next(int id, StringBuilder out) {
    byte[] b = tokenizer.rawTokenBytes(id);
    if (b == null) {
      if (skipSpecialTokens && tokenizer.isSpecial(id)) {
        return 0;
      }
      b = tokenizer.textBytes(id);
    }
    append(b);
    int complete = completePrefix();
    return emit(complete, out);
  }

  /** Returns the remaining bytes as text (an incomplete trailing character becomes U+FFFD) and resets. */
  public String finish() {
    StringBuilder out = new StringBuilder();
    emit(length, out);
    reset();
    return out.toString();
  }

  /** Forgets pending bytes and starts a new text. */
  public void reset() {
    length = 0;
    stripLeft = stripSpaces;
    started = false;
  }

  /** Bytes received but not yet returned (at most 3 for valid UTF-8). */
  public int pendingBytes() {
    return length;
  }

  private void append(byte[] b) {
    int from = 0;
    if (!started) {
      while (stripLeft > 0 && from < b.length && b[from] == ' ') {
        from++;
        stripLeft--;
      }
      if (from < b.length) {
        started = true;
      }
    }
    int n = b.length - from;
    if (length + n > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, length + n));
    }
    System.arraycopy(b, from, pending, length, n);
    length += n;
  }

  /** Length of the longest prefix that does not end inside an incomplete (but so far valid) UTF-8 sequence. */
  private int completePrefix() {
    int start = length - 1;
    int limit = Math.max(0, length - 4);
    while (start >= limit && (pending[start] & 0xC0) == 0x80) {
      start--;
    }
    if (start < limit) {
      return length; // only continuation bytes at the end: malformed, nothing to wait for
    }
    int lead = pending[start] & 0xFF;
    int need;
    if (lead < 0x80) {
      need = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      need = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      need = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      need = 4;
    } else {
      return length; // not a valid lead byte
    }
    int have = length - start;
    if (have >= need) {
      return length;
    }
    if (have >= 2 && !validSecond(lead, pending[start + 1] & 0xFF)) {
      return length; // already malformed
    }
    return start;
  }

  private static boolean validSecond(int lead, int second) {
    switch (lead) {
      case 0xE0:
        return second >= 0xA0 && second <= 0xBF;
      case 0xED:
        return second >= 0x80 && second <= 0x9F;
      case 0xF0:
        return second >= 0x90 && second <= 0xBF;
      case 0xF4:
        return second >= 0x80 && second <= 0x8F;
      default:
        return second >= 0x80 && second <= 0xBF;
    }
  }

  private int emit(int n, StringBuilder out) {
    if (n == 0) {
      return 0;
    }
    String text = new String(pending, 0, n, StandardCharsets.UTF_8);
    out.append(text);
    System.arraycopy(pending, n, pending, 0, length - n);
    length -= n;
    return text.length();
  }
}
