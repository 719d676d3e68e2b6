package dev.kamado.server.schema;

/**
 * A JSON Schema that Kamado cannot turn into a decoding constraint: an unsupported keyword, an invalid keyword value,
 * a schema that admits no value, or one too large to compile. The message names the keyword and its JSON pointer
 * (RFC 6901) inside the schema, e.g. {@code unsupported keyword "pattern" at /properties/id/pattern}; the server
 * answers it with HTTP 400.
 */
public final class UnsupportedSchemaException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String keyword;
  private final String pointer;

  /**
   * @param keyword the offending keyword (empty when the problem is the schema as a whole)
   * @param pointer JSON pointer of the offending location, "" for the root
   * @param message the full, user-facing message
   */
  public UnsupportedSchemaException(String keyword, String pointer, String message) {
    super(message);
    this.keyword = keyword;
    this.pointer = pointer;
  }

  /** Creates the standard "unsupported keyword" error for {@code keyword} found in the schema at {@code parentPointer}. */
  static UnsupportedSchemaException unsupportedKeyword(String keyword, String parentPointer) {
    String pointer = parentPointer + "/" + escape(keyword);
    return new UnsupportedSchemaException(keyword, pointer,
        "unsupported JSON Schema keyword \"" + keyword + "\" at " + pointer
            + " (supported: " + SchemaCompiler.SUPPORTED_KEYWORDS_TEXT + ")");
  }

  /** Creates an error about an invalid value of a supported keyword. */
  static UnsupportedSchemaException invalid(String keyword, String parentPointer, String reason) {
    String pointer = parentPointer + "/" + escape(keyword);
    return new UnsupportedSchemaException(keyword, pointer, "invalid JSON Schema at " + pointer + ": " + reason);
  }

  /** Escapes one JSON pointer reference token (RFC 6901: ~ becomes ~0, / becomes ~1). */
  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  /** The offending keyword, empty when the problem is the schema as a whole. */
  public String keyword() {
    return keyword;
  }

  /** JSON pointer of the offending location inside the schema ("" = the root). */
  public String pointer() {
    return pointer;
  }
}
