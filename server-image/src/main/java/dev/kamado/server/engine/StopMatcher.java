package dev.kamado.server.engine;

import java.util.List;

/**
 * Finds stop strings in generated text. Text that might be the start of a stop string is held back until it is
 * known not to be, so a stop string is never sent. Not thread-safe; one per sequence.
 */
final class StopMatcher {

  private final List<String> stops;
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;

  StopMatcher(List<String> stops) {
    this.stops = stops;
  }

  /** Whether a stop string has been seen. */
  boolean stopped() {
    return stopped;
  }

  /** Adds generated text and returns what may be sent now (text before a stop string once one is found). */
  String append(String text) {
    if (stops.isEmpty()) {
      return text;
    }
    if (text.isEmpty() || stopped) {
      return "";
    }
    int searchFrom = held.length();
    held.append(text);
    int first = -1;
    for (int s = 0; s < stops.size(); s++) {
      String stop = stops.get(s);
      int at = held.indexOf(stop, Math.max(0, searchFrom - stop.length() + 1));
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      stopped = true;
      String out = held.substring(0, first);
      held.setLength(0);
      return out;
    }
    int keep = longestStopPrefixSuffix();
    int emit = held.length() - keep;
    if (emit == 0) {
      return "";
    }
    String out = held.substring(0, emit);
    held.delete(0, emit);
    return out;
  }

  /** Text held back, for the end of output without a stop string. */
  String flush() {
    String out = held.toString();
    held.setLength(0);
    return out;
  }

  /** Length of the longest suffix of the held text that is a proper prefix of some stop string. */
  private int longestStopPrefixSuffix() {
    int best = 0;
    int n = held.length();
    for (int s = 0; s < stops.size(); s++) {
      String stop = stops.get(s);
      for (int k = Math.min(stop.length() - 1, n); k > best; k--) {
        if (regionMatches(n - k, stop, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  private boolean regionMatches(int from, String stop, int count) {
    for (int i = 0; i < count; i++) {
      if (held.charAt(from + i) != stop.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
