package dev.kamado.server.engine;

/** Why a sequence stopped, as OpenAI's {@code finish_reason}. */
public enum FinishReason {
  /** End-of-sequence token, stop string, or complete schema output. */
  STOP("stop"),
  /** {@code max_tokens} (or the context length) reached. */
  LENGTH("length"),
  /** The client went away or the server shut down before the end; never sent to a client. */
  CANCELLED("cancelled");

  private final String wireName;

  FinishReason(String wireName) {
    this.wireName = wireName;
  }

  /** The OpenAI name. */
  public String wireName() {
    return wireName;
  }
}
