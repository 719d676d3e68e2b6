package dev.kamado.server.engine;

/** The engine does not take a request now: its waiting queue is full, it is shutting down, or it failed. */
public final class QueueFullException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Why a request was refused. */
  public enum Kind {
    /** The waiting queue is full: retry later (429). */
    FULL,
    /** The server is shutting down (503). */
    SHUTTING_DOWN,
    /** The engine's thread stopped on an error: the server must be restarted (503). */
    ENGINE_FAILED
  }

  private final Kind kind;

  QueueFullException(String message, Kind kind) {
    super(message);
    this.kind = kind;
  }

  /** Why the request was refused. */
  public Kind kind() {
    return kind;
  }
}
