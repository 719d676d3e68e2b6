package dev.kamado.server.schema;

/**
 * The byte-level syntax of the inside of a JSON string as Kamado generates it, independent of lengths: 14 sub-states
 * (at a character boundary, after a backslash, inside a {@code \\uXXXX} escape, inside a UTF-8 sequence) and one step
 * function. The schema automaton's string blocks are built from it, and vocabularies pre-scan their tokens with it
 * (see {@link TokenVocabulary#stringScan}), so the two cannot disagree.
 */
final class StringSyntax {
  static final int S_CHAR = 0, S_ESC = 1, S_U1 = 2, S_U2 = 3, S_U2D = 4, S_U3 = 5, S_U4 = 6, S_C1 = 7, S_C2 = 8,
      S_C3 = 9, S_E0 = 10, S_ED = 11, S_F0 = 12, S_F4 = 13, SUBSTATES = 14;
  /** Result of {@link #step}: the byte cannot appear here. */
  static final int DEAD = -1;
  /** Result of {@link #step}: the byte is the closing quote. */
  static final int CLOSE = -2;
  /** Flag in a result of {@link #step}: the byte starts a new character. */
  static final int STARTS_CHAR = 0x100;

  private StringSyntax() {
  }

  /**
   * The sub-state after byte {@code b} in sub-state {@code sub}, with {@link #STARTS_CHAR} set when the byte starts a
   * character; or {@link #DEAD}; or {@link #CLOSE}. No raw control characters, no invalid UTF-8 (overlong forms,
   * UTF-8-encoded surrogates, beyond U+10FFFF), no {@code \\uD800}-{@code \\uDFFF} escapes.
   */
  static int step(int sub, int b) {
    switch (sub) {
      case S_CHAR:
        if (b == '"') {
          return CLOSE;
        }
        if (b == '\\') {
          return S_ESC | STARTS_CHAR;
        }
        if (b >= 0x20 && b <= 0x7F) {
          return S_CHAR | STARTS_CHAR;
        }
        if (b >= 0xC2 && b <= 0xDF) {
          return S_C1 | STARTS_CHAR;
        }
        if (b == 0xE0) {
          return S_E0 | STARTS_CHAR;
        }
        if (b == 0xED) {
          return S_ED | STARTS_CHAR;
        }
        if (b >= 0xE1 && b <= 0xEF) {
          return S_C2 | STARTS_CHAR;
        }
        if (b == 0xF0) {
          return S_F0 | STARTS_CHAR;
        }
        if (b >= 0xF1 && b <= 0xF3) {
          return S_C3 | STARTS_CHAR;
        }
        if (b == 0xF4) {
          return S_F4 | STARTS_CHAR;
        }
        return DEAD;
      case S_ESC:
        return switch (b) {
          case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> S_CHAR;
          case 'u' -> S_U1;
          default -> DEAD;
        };
      case S_U1:
        return b == 'D' || b == 'd' ? S_U2D : isHex(b) ? S_U2 : DEAD;
      case S_U2:
        return isHex(b) ? S_U3 : DEAD;
      case S_U2D:
        return b >= '0' && b <= '7' ? S_U3 : DEAD;
      case S_U3:
        return isHex(b) ? S_U4 : DEAD;
      case S_U4:
        return isHex(b) ? S_CHAR : DEAD;
      case S_C1:
        return b >= 0x80 && b <= 0xBF ? S_CHAR : DEAD;
      case S_C2:
        return b >= 0x80 && b <= 0xBF ? S_C1 : DEAD;
      case S_C3:
        return b >= 0x80 && b <= 0xBF ? S_C2 : DEAD;
      case S_E0:
        return b >= 0xA0 && b <= 0xBF ? S_C1 : DEAD;
      case S_ED:
        return b >= 0x80 && b <= 0x9F ? S_C1 : DEAD;
      case S_F0:
        return b >= 0x90 && b <= 0xBF ? S_C2 : DEAD;
      case S_F4:
        return b >= 0x80 && b <= 0x8F ? S_C2 : DEAD;
      default:
        throw new IllegalArgumentException("string sub-state " + sub);
    }
  }

  private static boolean isHex(int b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
  }
}
