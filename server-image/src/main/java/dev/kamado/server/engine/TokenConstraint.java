package dev.kamado.server.engine;

/** Restricts which tokens a sequence may produce next (for example to follow a JSON Schema). */
public interface TokenConstraint {

  /** A fresh cursor at the start of the output. */
  Cursor start();

  /** Where one sequence stands in the constraint; used by the engine thread only. */
  interface Cursor {

    /**
     * Sets in {@code maskOut} (a bitset over the vocabulary, bit i of word i / 64) exactly the tokens allowed next,
     * given that at most {@code remainingTokens} more tokens may follow (this one included).
     */
    void allowedTokens(int remainingTokens, long[] maskOut);

    /** Moves past {@code token}, which must have been allowed. */
    void advance(int token);

    /** Whether the output so far is complete (end-of-sequence allowed). */
    boolean isComplete();
  }
}
