package dev.kamado.trainer;

/**
 * Input the trainer cannot use (configuration, dataset, model files). The message is one readable reason that names
 * the file, line or field; the process exits with {@link dev.kamado.api.training.TrainerContract#EXIT_INVALID_INPUT}
 * and never prints a stack trace for it.
 */
public final class InvalidInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An invalid-input failure with one readable reason. */
  public InvalidInputException(String message) {
    super(message);
  }

  /** An invalid-input failure with one readable reason and its cause (kept for debugging, never shown). */
  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
