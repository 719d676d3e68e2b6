package dev.kamado.server.engine;

import java.nio.charset.StandardCharsets;

/**
 * Turns token bytes into text, holding back the bytes of a UTF-8 character split across tokens until it is complete.
 * Not thread-safe; one per sequence.
 */
final class Utf8Assembler {

  private byte[] pending = new byte[16];
  private int length;

  /** Appends a token's bytes and returns the text that is now complete (possibly empty). */
  String append(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return "";
    }
    if (length + bytes.length > pending.length) {
      byte[] grown = new byte[Math.max(pending.length * 2, length + bytes.length)];
      System.arraycopy(pending, 0, grown, 0, length);
      pending = grown;
    }
    System.arraycopy(bytes, 0, pending, length, bytes.length);
    length += bytes.length;
    int complete = completePrefix();
    if (complete == 0) {
      return "";
    }
    String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
    System.arraycopy(pending, complete, pending, 0, length - complete);
    length -= complete;
    return text;
  }

  /** The rest, with incomplete characters replaced (end of output). */
  String flush() {
    if (length == 0) {
      return "";
    }
    String text = new String(pending, 0, length, StandardCharsets.UTF_8);
    length = 0;
    return text;
  }

  /** Bytes at the front that end on a character boundary (an unfinished multi-byte sequence at the end stays). */
  private int completePrefix() {
    int i = length - 1;
    int back = 0;
    while (i >= 0 && back < 4 && (pending[i] & 0xC0) == 0x80) {
      i--;
      back++;
    }
    if (i < 0) {
      return length;
    }
    int lead = pending[i] & 0xFF;
    int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > back + 1 ? i : length;
  }
}
