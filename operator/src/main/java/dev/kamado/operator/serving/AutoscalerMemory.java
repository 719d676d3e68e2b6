package dev.kamado.operator.serving;

import dev.kamado.api.v1alpha1.AutoscalerStatus;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The autoscaler status each ModelServer was last given by this operator process.
 *
 * <p>Status carries the autoscaler's state across restarts, but the informer cache may hand a reconciliation a status
 * from before the last patch. Continuing from that one would take a decision twice, and patching it back (with only the
 * replica count brought up to date) would regress the recorded decision, window and scale time: a status reading
 * "hold at 4" with 3 desired replicas was once seen that way. So a cached autoscaler status older than the last
 * decision taken here is replaced, as a whole, by what that decision wrote.
 */
final class AutoscalerMemory {
  /** A decision: when its figures were read and the whole status it wrote. */
  record Decided(Instant readAt, AutoscalerStatus written) {
    /** The replica count the decision chose. */
    int desiredReplicas() {
      return written.getDesiredReplicas();
    }
  }

  private final Map<String, Decided> byUid = new ConcurrentHashMap<>();

  /** The last decision taken for this uid by this process, or null. */
  Decided last(String uid) {
    return byUid.get(uid);
  }

  /**
   * The autoscaler status to continue from: the cached one, unless it predates the last decision taken here (its
   * read time, to the second as status records it, is earlier), then a copy of what that decision wrote.
   */
  AutoscalerStatus current(String uid, AutoscalerStatus cached) {
    Decided last = byUid.get(uid);
    if (last == null) {
      return cached == null ? new AutoscalerStatus() : cached;
    }
    Instant cachedRead = cached == null ? null : parse(cached.getLastReadTime());
    if (cachedRead == null || last.readAt().truncatedTo(ChronoUnit.SECONDS).isAfter(cachedRead)) {
      return Serialization.clone(last.written());
    }
    return cached;
  }

  /** Remembers a decision and (a copy of) the status it wrote, whose {@code desiredReplicas} is the count chosen. */
  void remember(String uid, Instant readAt, AutoscalerStatus written) {
    byUid.put(uid, new Decided(readAt, Serialization.clone(written)));
  }

  /** Forgets ModelServers that no longer exist. */
  void retain(Set<String> uids) {
    byUid.keySet().retainAll(uids);
  }

  private static Instant parse(String rfc3339) {
    try {
      return rfc3339 == null ? null : Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
