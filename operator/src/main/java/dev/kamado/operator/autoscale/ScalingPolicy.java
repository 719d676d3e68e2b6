package dev.kamado.operator.autoscale;

import dev.kamado.operator.autoscale.ScalingDecision.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The autoscaling rule, a pure function of the settings, the current replica count, one reading and the window state
 * kept from earlier readings.
 *
 * <ul>
 *   <li>A complete reading recommends {@code ceil(tokens per second / target per replica)}, raised to one more than
 *       the current count when more than {@code waitingRequestsPerReplica} requests per replica wait, bounded by
 *       min and max.
 *   <li>Scale up: to the lowest recommendation within the scale-up window (the latest alone when the window is 0),
 *       at most doubling per evaluation.
 *   <li>Scale down: to the highest recommendation within the scale-down window, and only once the readings cover the
 *       whole window, so that load dips shorter than the window never remove replicas.
 *   <li>Missing figures hold the count. Partial figures (some ready replicas did not report) are a lower bound of the
 *       load: they may scale up but are neither kept in the window nor used to scale down.
 * </ul>
 *
 * The window state is small: a recommendation is kept only while it can still be the highest or lowest of a window,
 * plus the newest one older than the scale-down window, which proves the window is covered.
 */
public final class ScalingPolicy {
  /** Most recommendations kept; more only ever arise from pathological oscillation, and then the oldest go. */
  public static final int MAX_KEPT = 256;

  private ScalingPolicy() {}

  /** Decides the replica count at {@code now}. {@code current} is the count decided last time (or running now). */
  public static ScalingDecision decide(
      ScalingSettings settings, int current, MetricsReading reading, List<Recommendation> window, Instant now) {
    int bounded = settings.bound(current);
    if (reading instanceof MetricsReading.Missing missing) {
      List<Recommendation> kept = compact(window, settings, now);
      if (bounded != current) {
        return bounds(settings, current, bounded, null, kept);
      }
      return new ScalingDecision(current, null, kept, Kind.HOLD,
          "hold at " + current + ": no metrics (" + missing.reason() + ")");
    }
    MetricsReading.Figures figures = (MetricsReading.Figures) reading;
    int recommended = recommend(settings, bounded, figures);
    String figuresText = describe(settings, figures);

    if (!figures.complete()) {
      List<Recommendation> kept = compact(window, settings, now);
      if (recommended > bounded) {
        int desired = Math.min(recommended, doubled(bounded, settings));
        return new ScalingDecision(desired, recommended, kept, Kind.SCALE_UP,
            "scale up " + bounded + " -> " + desired + ": " + figuresText + " (at least)");
      }
      if (bounded != current) {
        return bounds(settings, current, bounded, recommended, kept);
      }
      return new ScalingDecision(current, recommended, kept, Kind.HOLD,
          "hold at " + current + ": figures from " + figures.replicasRead() + " of " + figures.readyReplicas()
              + " ready replicas, too few to scale down");
    }

    List<Recommendation> added = new ArrayList<>(window.size() + 1);
    added.addAll(window);
    added.add(new Recommendation(now, recommended));
    List<Recommendation> kept = compact(added, settings, now);

    int upCandidate = lowestSince(kept, now.minus(settings.scaleUpWindow()), recommended);
    if (upCandidate > bounded) {
      int desired = Math.min(upCandidate, doubled(bounded, settings));
      String limit = desired < upCandidate ? ", at most doubling per step" : "";
      return new ScalingDecision(desired, recommended, kept, Kind.SCALE_UP,
          "scale up " + bounded + " -> " + desired + ": " + figuresText + limit);
    }
    Instant downStart = now.minus(settings.scaleDownWindow());
    int downCandidate = highestAfter(kept, downStart, recommended);
    long windowSeconds = settings.scaleDownWindow().toSeconds();
    if (downCandidate < bounded) {
      boolean covered = settings.scaleDownWindow().isZero()
          || kept.stream().anyMatch(r -> !r.time().isAfter(downStart));
      if (covered) {
        return new ScalingDecision(downCandidate, recommended, kept, Kind.SCALE_DOWN,
            "scale down " + bounded + " -> " + downCandidate + ": " + figuresText + "; highest recommendation in the "
                + "last " + windowSeconds + "s is " + downCandidate);
      }
      if (bounded != current) {
        return bounds(settings, current, bounded, recommended, kept);
      }
      return new ScalingDecision(current, recommended, kept, Kind.HOLD,
          "hold at " + current + ": " + figuresText + "; scale-down waits until readings cover the " + windowSeconds
              + "s stabilisation window");
    }
    if (bounded != current) {
      return bounds(settings, current, bounded, recommended, kept);
    }
    String why = recommended < current
        ? "; a recommendation of " + downCandidate + " within the last " + windowSeconds + "s keeps it"
        : "";
    return new ScalingDecision(current, recommended, kept, Kind.HOLD,
        "hold at " + current + ": " + figuresText + why);
  }

  /** Replicas one reading alone asks for, bounded. */
  static int recommend(ScalingSettings settings, int current, MetricsReading.Figures figures) {
    double perReplica = settings.targetTokensPerSecondPerReplica();
    int byTokens = (int) Math.min(Integer.MAX_VALUE, Math.ceil(Math.max(0, figures.tokensPerSecond()) / perReplica));
    int recommended = byTokens;
    if (figures.waitingRequests() > (double) settings.waitingRequestsPerReplica() * current) {
      recommended = Math.max(recommended, current + 1);
    }
    return settings.bound(recommended);
  }

  private static ScalingDecision bounds(
      ScalingSettings settings, int current, int bounded, Integer recommended, List<Recommendation> kept) {
    Kind kind = bounded > current ? Kind.SCALE_UP : Kind.SCALE_DOWN;
    return new ScalingDecision(bounded, recommended, kept, kind,
        (kind == Kind.SCALE_UP ? "scale up " : "scale down ") + current + " -> " + bounded + ": replicas must lie in ["
            + settings.minReplicas() + ", " + settings.maxReplicas() + "]");
  }

  private static int doubled(int bounded, ScalingSettings settings) {
    return settings.bound((int) Math.min(Integer.MAX_VALUE, 2L * bounded));
  }

  private static String describe(ScalingSettings settings, MetricsReading.Figures f) {
    return String.format(Locale.ROOT, "%.1f tokens/s over target %d/replica, %.0f waiting requests (from %d of %d "
            + "ready replicas, %s)", f.tokensPerSecond(), settings.targetTokensPerSecondPerReplica(),
        f.waitingRequests(), f.replicasRead(), f.readyReplicas(), f.source());
  }

  /** Lowest recommendation at or after {@code start}; {@code fallback} when there is none. */
  private static int lowestSince(List<Recommendation> kept, Instant start, int fallback) {
    return kept.stream().filter(r -> !r.time().isBefore(start)).mapToInt(Recommendation::replicas).min()
        .orElse(fallback);
  }

  /** Highest recommendation strictly after {@code start}; {@code fallback} when there is none. */
  private static int highestAfter(List<Recommendation> kept, Instant start, int fallback) {
    return kept.stream().filter(r -> r.time().isAfter(start)).mapToInt(Recommendation::replicas).max()
        .orElse(fallback);
  }

  /**
   * The recommendations that can still matter, oldest first: within the longer window, those no later one equals or
   * exceeds (a possible window maximum) and those no later one equals or undercuts (a possible window minimum); plus
   * the newest one at or before the start of the scale-down window, which shows that the window is covered (until
   * there is one, the oldest, which shows how far back the readings go).
   */
  static List<Recommendation> compact(List<Recommendation> window, ScalingSettings settings, Instant now) {
    Instant horizon = now.minus(settings.scaleUpWindow().compareTo(settings.scaleDownWindow()) > 0
        ? settings.scaleUpWindow() : settings.scaleDownWindow());
    Instant downStart = now.minus(settings.scaleDownWindow());
    int anchor = -1;
    for (int i = 0; i < window.size(); i++) {
      if (!window.get(i).time().isAfter(downStart)) {
        anchor = i;
      }
    }
    boolean[] keep = new boolean[window.size()];
    int laterMax = Integer.MIN_VALUE;
    int laterMin = Integer.MAX_VALUE;
    for (int i = window.size() - 1; i >= 0; i--) {
      Recommendation r = window.get(i);
      boolean inWindow = !r.time().isBefore(horizon);
      keep[i] = i == anchor || (anchor < 0 && i == 0) || (inWindow && (r.replicas() > laterMax || r.replicas() < laterMin));
      laterMax = Math.max(laterMax, r.replicas());
      laterMin = Math.min(laterMin, r.replicas());
    }
    List<Recommendation> kept = new ArrayList<>();
    for (int i = 0; i < window.size(); i++) {
      if (keep[i]) {
        kept.add(window.get(i));
      }
    }
    return kept.size() > MAX_KEPT ? List.copyOf(kept.subList(kept.size() - MAX_KEPT, kept.size())) : kept;
  }
}
