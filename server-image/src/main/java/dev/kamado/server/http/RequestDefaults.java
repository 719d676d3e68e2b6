package dev.kamado.server.http;

import java.util.List;

/**
 * What a completion request gets for a setting it does not give (the server's {@code --default-*} settings; the
 * operator fills them from a ModelServer's {@code spec.generation}). A request's own {@code stop} replaces the default
 * stop strings, as a request's {@code temperature} replaces the default temperature.
 *
 * @param maxTokens max_tokens (capped by the context left)
 * @param temperature temperature, 0 = greedy
 * @param topP top_p
 * @param stop stop strings (empty = none)
 */
public record RequestDefaults(int maxTokens, double temperature, double topP, List<String> stop) {

  /** Copies {@code stop}. */
  public RequestDefaults {
    stop = List.copyOf(stop);
  }
}
