package dev.kamado.server.model;

/** The model folder cannot be served (missing file, digest mismatch, unreadable config); the message says which. */
public final class InvalidModelException extends Exception {

  private static final long serialVersionUID = 1L;

  /** An error with its message. */
  public InvalidModelException(String message) {
    super(message);
  }

  /** An error with its message and cause. */
  public InvalidModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
