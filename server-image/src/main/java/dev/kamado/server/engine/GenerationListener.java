package dev.kamado.server.engine;

/**
 * Receives a request's output. Called on the engine thread, so implementations must hand the work to another thread
 * (for example a Vert.x context) and return at once.
 */
public interface GenerationListener {

  /**
   * One generated token's text (possibly empty: part of a UTF-8 character, a special token, or text held back while
   * it may begin a stop string).
   */
  void onText(String text);

  /**
   * The end of the request.
   *
   * @param reason why it ended
   * @param promptTokens tokens in the prompt
   * @param completionTokens tokens generated (the end-of-sequence token included)
   */
  void onFinish(FinishReason reason, int promptTokens, int completionTokens);

  /** The request failed inside the engine; no further calls follow. */
  void onError(String message);
}
