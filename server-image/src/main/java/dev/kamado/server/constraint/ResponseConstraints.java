package dev.kamado.server.constraint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.server.engine.TokenConstraint;
import dev.kamado.server.http.ApiError;
import dev.kamado.server.schema.CompiledSchema;
import dev.kamado.server.schema.ConstrainedDecoder;
import dev.kamado.server.schema.SchemaCompiler;
import dev.kamado.server.schema.TokenVocabulary;
import dev.kamado.server.schema.UnsupportedSchemaException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Turns a request's {@code response_format} (or the server-wide default schema) into a token constraint. Compiled
 * schemas and per-vocabulary decoders are cached by the schema package, so a schema seen before costs a map lookup.
 */
public final class ResponseConstraints {

  /** Random generations run for a request's new schema before it is queued (see {@link #forRequest}). */
  static final int REQUEST_WARMUP_GENERATIONS = 8;
  /** Tokens of each of those generations at most. */
  static final int REQUEST_WARMUP_TOKENS = 96;

  private final TokenVocabulary vocabulary;
  private final ConstrainedDecoder defaultDecoder;
  private final TokenConstraint defaultConstraint;

  /**
   * Constraints for a model's vocabulary.
   *
   * @param tokenBytes the bytes of each token id of the model (null = special token or unknown id, never allowed)
   * @param endOfSequenceIds ids allowed once the JSON is complete
   * @param defaultSchema JSON Schema enforced when a request does not ask for a JSON format, or null
   * @throws UnsupportedSchemaException when the default schema cannot be enforced (names the keyword)
   */
  public ResponseConstraints(List<byte[]> tokenBytes, Set<Integer> endOfSequenceIds, JsonNode defaultSchema) {
    this.vocabulary = new TokenVocabulary(tokenBytes, endOfSequenceIds);
    this.defaultDecoder = defaultSchema == null ? null
        : ConstrainedDecoder.of(SchemaCompiler.compile(defaultSchema), vocabulary);
    this.defaultConstraint = defaultDecoder == null ? null : new SchemaTokenConstraint(defaultDecoder);
  }

  /**
   * What {@link #prewarm} did.
   *
   * @param generations random generations run
   * @param states automaton states built by then
   * @param masks state masks computed by then (trie walks, in-string masks and shared in-string masks)
   * @param millis wall-clock time
   * @param timedOut whether the time limit ended it early
   */
  public record Prewarm(int generations, int states, int masks, long millis, boolean timedOut) {}

  /**
   * Fills the automaton and mask caches of a schema's decoder before serving ({@link ConstrainedDecoder#prewarm}):
   * seeded random generations of up to {@code budget} tokens, each token drawn from the allowed ones, until
   * {@code generations} have run or {@code timeLimit} has passed. For the default schema, first requests under it then
   * do not pay for computing masks (a state's first mask walks the vocabulary); for any schema, it also runs the mask
   * code often enough for the JIT to compile it. Answers do not change.
   *
   * @param responseFormat a validated response_format object, or null for the default schema
   * @return what was done; null when {@code responseFormat} is null and no default schema is set
   * @throws ApiError when the response format's schema is not supported
   */
  public Prewarm prewarm(JsonNode responseFormat, int generations, int budget, java.time.Duration timeLimit) {
    ConstrainedDecoder decoder = responseFormat == null ? defaultDecoder : decoder(responseFormat);
    if (decoder == null) {
      return null;
    }
    long start = System.nanoTime();
    long deadline = start + timeLimit.toNanos();
    int done = 0;
    boolean timedOut = false;
    for (; done < generations; done++) {
      if (System.nanoTime() >= deadline) {
        timedOut = true;
        break;
      }
      decoder.prewarm(1, budget, done);
    }
    return new Prewarm(done, decoder.statesBuilt(),
        decoder.trieWalks() + decoder.stringMasks() + decoder.sharedStringMasks(),
        (System.nanoTime() - start) / 1_000_000, timedOut);
  }

  /**
   * Reads and parses a JSON Schema file (JSON).
   *
   * @throws IOException naming the file when it cannot be read or parsed
   */
  public static JsonNode readSchemaFile(Path file) throws IOException {
    try {
      JsonNode schema = new ObjectMapper().readTree(Files.readString(file));
      if (schema == null || !schema.isObject()) {
        throw new IOException("schema file " + file + " must hold a JSON object");
      }
      return schema;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException("schema file " + file + " is not valid JSON: " + e.getOriginalMessage()
          + " at line " + e.getLocation().getLineNr(), e);
    }
  }

  /** Whether a server-wide schema is set. */
  public boolean hasDefault() {
    return defaultConstraint != null;
  }

  /**
   * The constraint for a request: its own response_format when it asks for JSON, else the server default, else none.
   *
   * @param responseFormat the validated response_format object, or null
   * @throws ApiError 400 naming the unsupported schema keyword
   */
  public TokenConstraint forRequest(JsonNode responseFormat) {
    if (responseFormat == null) {
      return defaultConstraint;
    }
    ConstrainedDecoder decoder = decoder(responseFormat);
    if (decoder.claimWarmup()) {
      // The first request under a schema the server has not seen runs a few random generations under it here, on its
      // HTTP worker thread, before it is queued: the automaton states and masks they reach (most of those a model's
      // answers reach) are then computed off the engine thread, which would otherwise stall every running stream for
      // each first mask. It costs this request's time to first token, no one else's.
      for (int g = 0; g < REQUEST_WARMUP_GENERATIONS; g++) {
        decoder.prewarm(1, REQUEST_WARMUP_TOKENS, g);
      }
    }
    return new SchemaTokenConstraint(decoder);
  }

  private ConstrainedDecoder decoder(JsonNode responseFormat) {
    boolean jsonObject = "json_object".equals(responseFormat.path("type").asText());
    try {
      CompiledSchema compiled = jsonObject ? SchemaCompiler.jsonObject()
          : SchemaCompiler.compile(responseFormat.path("json_schema").path("schema"));
      return ConstrainedDecoder.of(compiled, vocabulary);
    } catch (UnsupportedSchemaException e) {
      throw ApiError.invalid(jsonObject ? "response_format" : "response_format.json_schema.schema", e.getMessage());
    }
  }
}
