package dev.kamado.server.engine;

/** Streaming token-to-text conversion for one sequence: only complete characters come out. Not thread-safe. */
public interface Detokenizer {

  /** Adds a generated token; returns the text that became complete (possibly empty). */
  String next(int tokenId);

  /** The rest at the end of the output. */
  String finish();

  /** A detokenizer over raw token bytes (null = special token, contributes nothing). */
  static Detokenizer ofBytes(byte[][] tokenBytes) {
    Utf8Assembler assembler = new Utf8Assembler();
    return new Detokenizer() {
      @Override
      public String next(int tokenId) {
        return assembler.append(tokenBytes[tokenId]);
      }

      @Override
      public String finish() {
        return assembler.flush();
      }
    };
  }
}
