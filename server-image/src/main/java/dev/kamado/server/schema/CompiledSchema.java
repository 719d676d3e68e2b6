package dev.kamado.server.schema;

/**
 * A JSON Schema compiled to a byte automaton ({@link SchemaCompiler#compile}). Immutable and thread-safe; pair it with
 * a {@link TokenVocabulary} through {@link ConstrainedDecoder#of} to constrain generation.
 *
 * @param canonicalJson the schema as compact JSON (the compile-cache key); {@code {"type":"json_object"}} for
 *                      {@link SchemaCompiler#jsonObject()}
 * @param nfa           the automaton
 */
public record CompiledSchema(String canonicalJson, ByteNfa nfa) {

    /** Number of automaton states (a size indicator for logs and metrics). */
    public int automatonStates() {
        return nfa.stateCount;
    }

    /** The minimum length in bytes of a complete JSON text accepted by this schema. */
    public int minimumOutputBytes() {
        boolean[] all = new boolean[256];
        java.util.Arrays.fill(all, true);
        return nfa.distancesToAccept(all)[nfa.start];
    }

    @Override
    public String toString() {
        return "CompiledSchema[" + canonicalJson + ", states=" + nfa.stateCount + "]";
    }
}
