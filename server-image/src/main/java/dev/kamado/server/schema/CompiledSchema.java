package dev.kamado.server.schema;

import java.util.Arrays;

/**
 * A JSON Schema compiled to a byte automaton ({@link SchemaCompiler#compile}). Immutable and thread-safe; pair it with
 * a {@link TokenVocabulary} through {@link ConstrainedDecoder#of} to constrain generation.
 */
public final class CompiledSchema {
  private final String canonicalJson;
  private final ByteNfa nfa;
  private final int minimumOutputBytes;

  CompiledSchema(String canonicalJson, ByteNfa nfa) {
    this.canonicalJson = canonicalJson;
    this.nfa = nfa;
    boolean[] all = new boolean[256];
    Arrays.fill(all, true);
    this.minimumOutputBytes = nfa.distancesToAccept(all)[nfa.start];
  }

  /** The schema as compact JSON (the compile-cache key); {@code {"type":"json_object"}} for json_object mode. */
  public String canonicalJson() {
    return canonicalJson;
  }

  ByteNfa nfa() {
    return nfa;
  }

  /** Number of automaton states (a size indicator for logs and metrics). */
  public int automatonStates() {
    return nfa.stateCount;
  }

  /** The length in bytes of the shortest JSON text this schema accepts. */
  public int minimumOutputBytes() {
    return minimumOutputBytes;
  }

  @Override
  public String toString() {
    return "CompiledSchema[" + canonicalJson + ", states=" + nfa.stateCount + "]";
  }
}
