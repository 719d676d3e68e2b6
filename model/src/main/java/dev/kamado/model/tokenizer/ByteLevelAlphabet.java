package dev.kamado.model.tokenizer;

/**
 * The GPT-2 byte-to-character map used by byte-level BPE ({@code ByteLevel} pre-tokenizer and decoder in Hugging Face
 * {@code tokenizers}): every byte value maps to one printable Unicode character, so that a token string can hold any
 * byte sequence. Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 onwards in byte order.
 */
public final class ByteLevelAlphabet {

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[512];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char c = printable ? (char) b : (char) (256 + next++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteLevelAlphabet() {
  }

  /** The character that stands for byte {@code b} (0..255). */
  public static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xFF];
  }

  /** The byte a character stands for, or -1 when the character is not in the alphabet. */
  public static int byteOf(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** Encodes bytes as a byte-level token string. */
  public static String encode(byte[] bytes) {
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
    }
    return new String(out);
  }

  /**
   * Decodes a byte-level token string to bytes. A token with any character outside the alphabet (possible only in
   * hand-made added tokens) contributes its own UTF-8 bytes instead, as the Hugging Face {@code ByteLevel} decoder
   * does.
   */
  public static byte[] decode(String token) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < token.length(); i++) {
      int b = byteOf(token.charAt(i));
      if (b < 0) {
        return token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      out[i] = (byte) b;
    }
    return out;
  }
}
