package dev.kamado.server.constraint;

import dev.kamado.server.engine.TokenConstraint;
import dev.kamado.server.schema.ConstrainedDecoder;

/** A {@link TokenConstraint} that keeps output inside a compiled JSON Schema (the schema package's decoder). */
public final class SchemaTokenConstraint implements TokenConstraint {

  private final ConstrainedDecoder decoder;

  /** Wraps a decoder for one schema and vocabulary. */
  public SchemaTokenConstraint(ConstrainedDecoder decoder) {
    this.decoder = decoder;
  }

  /** The decoder (for tests and metrics). */
  ConstrainedDecoder decoder() {
    return decoder;
  }

  @Override
  public Cursor start() {
    return new SchemaCursor(decoder, decoder.start());
  }

  private static final class SchemaCursor implements Cursor {
    private final ConstrainedDecoder decoder;
    private ConstrainedDecoder.State state;

    SchemaCursor(ConstrainedDecoder decoder, ConstrainedDecoder.State state) {
      this.decoder = decoder;
      this.state = state;
    }

    @Override
    public void allowedTokens(int remainingTokens, long[] maskOut) {
      decoder.allowedTokens(state, remainingTokens, maskOut);
    }

    @Override
    public void advance(int token) {
      state = decoder.advance(state, token);
    }

    @Override
    public boolean isComplete() {
      return decoder.isComplete(state);
    }
  }
}
