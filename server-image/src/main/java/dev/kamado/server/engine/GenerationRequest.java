package dev.kamado.server.engine;

/**
 * One request as the engine sees it. The only mutable part is the cancellation flag, which any thread may set.
 */
public final class GenerationRequest {

  private final int[] promptTokens;
  private final SamplingParams sampling;
  private final TokenConstraint constraint;
  private final GenerationListener listener;
  private final long arrivalNanos;
  private volatile boolean cancelled;

  /**
   * A request.
   *
   * @param promptTokens the prompt's token ids (not empty)
   * @param sampling how to pick tokens
   * @param constraint the output constraint, or null for free text
   * @param listener where output goes
   */
  public GenerationRequest(int[] promptTokens, SamplingParams sampling, TokenConstraint constraint,
      GenerationListener listener) {
    if (promptTokens.length == 0) {
      throw new IllegalArgumentException("the prompt has no tokens");
    }
    this.promptTokens = promptTokens;
    this.sampling = sampling;
    this.constraint = constraint;
    this.listener = listener;
    this.arrivalNanos = System.nanoTime();
  }

  /** The prompt's token ids; not to be modified. */
  public int[] promptTokens() {
    return promptTokens;
  }

  /** How to pick tokens. */
  public SamplingParams sampling() {
    return sampling;
  }

  /** The output constraint, or null. */
  public TokenConstraint constraint() {
    return constraint;
  }

  /** Where output goes. */
  public GenerationListener listener() {
    return listener;
  }

  /** {@link System#nanoTime()} when the request was made. */
  public long arrivalNanos() {
    return arrivalNanos;
  }

  /** Asks the engine to drop this request (its slot and KV cache are freed at the next step). */
  public void cancel() {
    cancelled = true;
  }

  /** Whether {@link #cancel()} was called. */
  public boolean cancelled() {
    return cancelled;
  }
}
