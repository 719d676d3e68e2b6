package dev.kamado.trainer.data;

/**
 * Why one dataset line cannot be used.
 *
 * @param source file and line
 * @param reason the kind of problem, used to count skipped lines per reason
 * @param detail the readable explanation, naming the field where there is one
 */
public record DatasetProblem(SourceLine source, Reason reason, String detail) {

  /** The kinds of problem, each with the name used in counts and reports. */
  public enum Reason {
    /** The line is not valid JSON. */
    MALFORMED_JSON("malformed-json"),
    /** A required field is absent. */
    MISSING_FIELD("missing-field"),
    /** A field has the wrong JSON type or a value outside what is allowed. */
    WRONG_TYPE("wrong-type"),
    /** The example has nothing to learn from (for example no assistant message). */
    NO_TARGET("no-target"),
    /** The tokenised example is longer than the maximum sequence length. */
    TOO_LONG("too-long");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    /** The name used in counts and reports, for example {@code too-long}. */
    public String label() {
      return label;
    }
  }

  /** {@code file:line: reason} as shown to users. */
  public String message() {
    return source.file().getFileName() + " line " + source.line() + ": " + detail;
  }
}
