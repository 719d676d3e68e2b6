package dev.kamado.server.engine;

/** The waiting queue is full (or the engine no longer accepts work); the caller should retry later. */
public final class QueueFullException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean shuttingDown;

  QueueFullException(String message, boolean shuttingDown) {
    super(message);
    this.shuttingDown = shuttingDown;
  }

  /** Whether the engine refuses because it is shutting down rather than because it is busy. */
  public boolean shuttingDown() {
    return shuttingDown;
  }
}
