package dev.kamado.model.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/** A tokenizer file is missing, unreadable or malformed; the message names the file and the problem. */
public final class TokenizerFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message {@code "<file>: <problem>"}. */
  public TokenizerFormatException(Path file, String problem) {
    super(file + ": " + problem);
  }

  /** Creates the exception with a message {@code "<file>: <problem>"} and its cause. */
  public TokenizerFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
