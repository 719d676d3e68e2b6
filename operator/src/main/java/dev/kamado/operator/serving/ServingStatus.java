package dev.kamado.operator.serving;

import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerPhase;
import dev.kamado.api.v1alpha1.ModelServerStatus;
import dev.kamado.api.v1alpha1.ServedModel;
import dev.kamado.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes what the operator sees of a ModelServer into its status: the versions being served (both during a
 * rollout), replica counts, phase and the conditions Ready, Progressing and ModelResolved. A pure function of what was
 * observed; it returns the Events that the changes deserve.
 */
public final class ServingStatus {
  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String MODEL_RESOLVED = "ModelResolved";
  /** Reason of Progressing=False when new pods did not become ready within the progress deadline. */
  public static final String DEADLINE_EXCEEDED = "ProgressDeadlineExceeded";

  /** An Event to record. */
  public record Event(String type, String reason, String message) {}

  /**
   * What was observed.
   *
   * @param resolution how the spec's model resolved
   * @param target the version the Deployment is asked to serve, or null when there is no Deployment yet
   * @param deployment the Deployment, or null
   * @param pods the ModelServer's pods
   * @param desiredReplicas the replica count decided
   * @param now the time
   */
  public record Observed(
      ModelResolution resolution, ServedVersion target, Deployment deployment, List<Pod> pods, int desiredReplicas,
      Instant now) {}

  private ServingStatus() {}

  /** Updates {@code server}'s status (never its spec) and returns the Events to record. */
  public static List<Event> update(ModelServer server, Observed o) {
    ModelServerStatus status = server.getStatus();
    Long generation = server.getMetadata().getGeneration();
    List<Event> events = new ArrayList<>();
    ModelServerPhase phaseBefore = status.getPhase();
    String progressingReasonBefore = Conditions.find(status.getConditions(), PROGRESSING)
        .map(c -> c.getReason()).orElse(null);
    ServedModel previousTarget = status.getModel();

    status.setObservedGeneration(generation);
    status.setEndpoint(ServerResources.endpoint(server));
    status.setSelector(ServerResources.selectorString(server));
    status.setDesiredReplicas(o.desiredReplicas());

    String keepsServing = o.target() == null ? "" : "; " + o.target().label() + " keeps serving";
    if (o.resolution() instanceof ModelResolution.Resolved r) {
      Conditions.set(status.getConditions(), MODEL_RESOLVED, Conditions.TRUE, "Resolved", "serving "
          + r.version().label()
          + (r.version().fineTuneJob() == null ? "" : " produced by FineTuneJob " + r.version().fineTuneJob()),
          generation, o.now());
    } else if (o.resolution() instanceof ModelResolution.Waiting w) {
      Conditions.set(status.getConditions(), MODEL_RESOLVED, Conditions.FALSE, w.reason(),
          w.message() + keepsServing, generation, o.now());
    } else if (o.resolution() instanceof ModelResolution.Unresolvable u) {
      Conditions.set(status.getConditions(), MODEL_RESOLVED, Conditions.FALSE, u.reason(),
          u.message() + keepsServing, generation, o.now());
    }

    List<Pod> live = o.pods().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    int ready = (int) live.stream().filter(ServingStatus::isReady).count();
    status.setReplicas(live.size());
    status.setReadyReplicas(ready);

    if (o.target() == null) {
      status.setModel(null);
      status.setPreviousModel(null);
      boolean failed = o.resolution() instanceof ModelResolution.Unresolvable;
      status.setPhase(failed ? ModelServerPhase.Failed : ModelServerPhase.Pending);
      String reason = failed ? ((ModelResolution.Unresolvable) o.resolution()).reason() : "ModelNotResolved";
      Conditions.set(status.getConditions(), READY, Conditions.FALSE, reason, "no model to serve yet",
          generation, o.now());
      Conditions.set(status.getConditions(), PROGRESSING, Conditions.FALSE, reason,
          "nothing to roll out until the model resolves", generation, o.now());
      addPhaseEvent(events, phaseBefore, status);
      return events;
    }

    // Versions, from the pods' model annotations.
    Map<ServedVersion, Integer> readyByVersion = new LinkedHashMap<>();
    Map<ServedVersion, Integer> liveByVersion = new LinkedHashMap<>();
    for (Pod pod : live) {
      ServedVersion v = versionOf(pod.getMetadata().getAnnotations());
      if (v == null) {
        continue;
      }
      liveByVersion.merge(v, 1, Integer::sum);
      if (isReady(pod)) {
        readyByVersion.merge(v, 1, Integer::sum);
      }
    }
    int targetReady = readyByVersion.getOrDefault(o.target(), 0);
    ServedVersion older = liveByVersion.keySet().stream()
        .filter(v -> !v.equals(o.target()))
        .max(Comparator.comparingInt((ServedVersion v) -> readyByVersion.getOrDefault(v, 0))
            .thenComparingInt(v -> liveByVersion.getOrDefault(v, 0)))
        .orElse(null);
    int olderReady = older == null ? 0 : readyByVersion.getOrDefault(older, 0);
    status.setModel(served(o.target(), targetReady));
    status.setPreviousModel(older == null ? null : served(older, olderReady));

    Deployment d = o.deployment();
    boolean stuck = d != null && d.getStatus() != null && d.getStatus().getConditions() != null
        && d.getStatus().getConditions().stream().anyMatch(c -> "Progressing".equals(c.getType())
            && "False".equals(c.getStatus()) && DEADLINE_EXCEEDED.equals(c.getReason()));
    boolean stale = d == null || d.getStatus() == null || d.getStatus().getObservedGeneration() == null
        || d.getStatus().getObservedGeneration() < Objects.requireNonNullElse(d.getMetadata().getGeneration(), 0L);
    boolean rollingOut = older != null || stale
        || (d.getStatus().getUpdatedReplicas() == null ? 0 : d.getStatus().getUpdatedReplicas()) < o.desiredReplicas();
    int deadline = d == null || d.getSpec().getProgressDeadlineSeconds() == null
        ? ServerResources.DEFAULT_PROGRESS_DEADLINE_SECONDS : d.getSpec().getProgressDeadlineSeconds();

    if (stuck && older != null) {
      String message = o.target().label() + " did not become ready within " + deadline + "s (" + targetReady
          + " of " + o.desiredReplicas() + " new replicas ready); " + older.label() + " keeps serving with "
          + olderReady + " ready replicas";
      Conditions.set(status.getConditions(), PROGRESSING, Conditions.FALSE, DEADLINE_EXCEEDED, message, generation,
          o.now());
      if (!DEADLINE_EXCEEDED.equals(progressingReasonBefore)) {
        events.add(new Event("Warning", "RolloutStuck", message));
      }
    } else if (stuck) {
      String message = "replicas did not become ready within " + deadline + "s (" + targetReady + " of "
          + o.desiredReplicas() + " ready)";
      Conditions.set(status.getConditions(), PROGRESSING, Conditions.FALSE, DEADLINE_EXCEEDED, message, generation,
          o.now());
      if (!DEADLINE_EXCEEDED.equals(progressingReasonBefore)) {
        events.add(new Event("Warning", "RolloutStuck", message));
      }
    } else if (older != null) {
      Conditions.set(status.getConditions(), PROGRESSING, Conditions.TRUE, "RollingOut", "rolling out "
          + o.target().label() + ": " + targetReady + " of " + o.desiredReplicas() + " new replicas ready; "
          + older.label() + " serving with " + olderReady, generation, o.now());
    } else if (rollingOut || ready < o.desiredReplicas()) {
      Conditions.set(status.getConditions(), PROGRESSING, Conditions.TRUE, "Scaling", ready + " of "
          + o.desiredReplicas() + " replicas ready", generation, o.now());
    } else {
      Conditions.set(status.getConditions(), PROGRESSING, Conditions.FALSE, "RolloutComplete", "all "
          + o.desiredReplicas() + " replicas serve " + o.target().label(), generation, o.now());
    }

    if (ready == 0) {
      Conditions.set(status.getConditions(), READY, Conditions.FALSE, "NoReadyReplicas",
          "no replica is ready to serve", generation, o.now());
    } else if (ready < o.desiredReplicas()) {
      Conditions.set(status.getConditions(), READY, Conditions.FALSE, "NotEnoughReadyReplicas",
          ready + " of " + o.desiredReplicas() + " replicas ready", generation, o.now());
    } else if (targetReady >= o.desiredReplicas()) {
      Conditions.set(status.getConditions(), READY, Conditions.TRUE, "AllReplicasReady",
          ready + " replicas ready serving " + o.target().label(), generation, o.now());
    } else {
      Conditions.set(status.getConditions(), READY, Conditions.TRUE, "ServingPreviousVersion",
          ready + " replicas ready, " + targetReady + " of them on " + o.target().label(), generation, o.now());
    }

    ModelServerPhase phase;
    if (stuck) {
      phase = ready > 0 ? ModelServerPhase.Degraded : ModelServerPhase.Failed;
    } else if (older != null || rollingOut || ready < o.desiredReplicas()) {
      phase = ModelServerPhase.Progressing;
    } else {
      phase = ModelServerPhase.Ready;
    }
    status.setPhase(phase);

    if (previousTarget != null && !o.target().matches(previousTarget.getUri(), previousTarget.getDigest())) {
      events.add(new Event("Normal", "RolloutStarted", "rolling out " + o.target().label() + " (was "
          + versionLabel(previousTarget) + ")"));
    }
    if (older == null && !stuck && !rollingOut && "RollingOut".equals(progressingReasonBefore)) {
      events.add(new Event("Normal", "RolloutComplete", "all " + o.desiredReplicas() + " replicas serve "
          + o.target().label()));
    }
    addPhaseEvent(events, phaseBefore, status);
    return events;
  }

  private static void addPhaseEvent(List<Event> events, ModelServerPhase before, ModelServerStatus status) {
    if (before != status.getPhase() && status.getPhase() != ModelServerPhase.Progressing) {
      String message = Conditions.find(status.getConditions(), READY).map(c -> c.getMessage()).orElse("");
      String type = status.getPhase() == ModelServerPhase.Ready || status.getPhase() == ModelServerPhase.Pending
          ? "Normal" : "Warning";
      events.add(new Event(type, status.getPhase().name(), message));
    }
  }

  /** The version a pod (template) serves, from its annotations; null when it has none. */
  public static ServedVersion versionOf(Map<String, String> annotations) {
    if (annotations == null || annotations.get(ServerResources.MODEL_URI_ANNOTATION) == null) {
      return null;
    }
    return new ServedVersion(annotations.get(ServerResources.MODEL_URI_ANNOTATION),
        annotations.get(ServerResources.MODEL_DIGEST_ANNOTATION),
        annotations.get(ServerResources.FINE_TUNE_JOB_ANNOTATION));
  }

  public static boolean isReady(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase()) && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static ServedModel served(ServedVersion v, int readyReplicas) {
    ServedModel m = new ServedModel();
    m.setUri(v.uri());
    m.setDigest(v.digest());
    m.setFineTuneJob(v.fineTuneJob());
    m.setReadyReplicas(readyReplicas);
    return m;
  }

  private static String versionLabel(ServedModel m) {
    return new ServedVersion(m.getUri(), m.getDigest(), m.getFineTuneJob()).label();
  }
}
