package dev.kamado.operator.finetune;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.training.ProgressReport;
import dev.kamado.api.training.TrainerContract;
import dev.kamado.api.training.TrainingResult;
import dev.kamado.api.v1alpha1.CheckpointStatus;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.api.v1alpha1.ModelVersion;
import dev.kamado.api.v1alpha1.TrainingProgress;
import dev.kamado.operator.model.StorageUri;
import dev.kamado.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Computes a FineTuneJob's status from what was observed: a pure function, unit-tested without a cluster. It also
 * returns the Kubernetes Events that the transition deserves.
 */
public final class TrainingStatus {
  public static final String BASE_MODEL_RESOLVED = "BaseModelResolved";
  public static final String POD_SCHEDULED = "PodScheduled";
  public static final String RUNNING = "Running";
  public static final String COMPLETE = "Complete";
  public static final String FAILED = "Failed";
  public static final String SUSPENDED = "Suspended";

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final int MAX_MESSAGE = 1024;

  /** A Kubernetes Event to record. */
  public record Event(String type, String reason, String message) {
    static Event normal(String reason, String message) {
      return new Event("Normal", reason, message);
    }

    static Event warning(String reason, String message) {
      return new Event("Warning", reason, message);
    }
  }

  private TrainingStatus() {}

  /** Updates {@code job}'s status in place from {@code observed}; returns the events of the transition. */
  public static List<Event> update(FineTuneJob ftj, ObservedTraining observed) {
    if (ftj.getStatus() == null) {
      ftj.setStatus(new FineTuneJobStatus());
    }
    FineTuneJobStatus status = ftj.getStatus();
    FineTuneJobPhase before = status.getPhase();
    Long generation = ftj.getMetadata().getGeneration();
    Instant now = observed.now();
    List<Event> events = new ArrayList<>();
    status.setObservedGeneration(generation);

    if (isTerminal(before)) {
      // Succeeded and Failed are final: a deleted Job or pod later does not undo them.
      readProgress(ftj, observed);
      return events;
    }

    Job job = observed.job();
    status.setJobName(job == null ? null : job.getMetadata().getName());
    BaseModelResolution resolution = observed.base();
    if (resolution instanceof BaseModelResolution.Resolved r) {
      ModelVersion base = new ModelVersion();
      base.setUri(r.model().uri());
      base.setDigest(r.model().digest());
      status.setBaseModel(base);
      condition(ftj, BASE_MODEL_RESOLVED, true, "Resolved",
          "base model " + r.model().uri() + (r.model().fromJob() == null ? "" : " from FineTuneJob " + r.model().fromJob()),
          now);
    } else if (resolution instanceof BaseModelResolution.Waiting w) {
      condition(ftj, BASE_MODEL_RESOLVED, false, w.reason(), w.message(), now);
      status.setPhase(FineTuneJobPhase.Pending);
    } else if (resolution instanceof BaseModelResolution.Impossible i) {
      condition(ftj, BASE_MODEL_RESOLVED, false, i.reason(), i.message(), now);
      fail(ftj, i.reason(), i.message(), now);
    }

    if (job != null && status.getPhase() != FineTuneJobPhase.Failed) {
      fromJob(ftj, observed, job, now);
    } else if (job == null && observed.base() instanceof BaseModelResolution.Resolved) {
      if (observed.userSuspended()) {
        suspended(ftj, now);
      } else {
        status.setPhase(FineTuneJobPhase.Pending);
        condition(ftj, SUSPENDED, false, "NotSuspended", "creating the training Job", now);
      }
    }
    readProgress(ftj, observed);

    FineTuneJobPhase after = status.getPhase();
    if (after != before) {
      events.add(eventFor(ftj, after));
    }
    return events;
  }

  private static void fromJob(FineTuneJob ftj, ObservedTraining observed, Job job, Instant now) {
    FineTuneJobStatus status = ftj.getStatus();
    // Failed pods, disruptions included: the Job's own counter leaves out the failures its podFailurePolicy ignores.
    int failedPods = Math.max(
        job.getStatus() == null || job.getStatus().getFailed() == null ? 0 : job.getStatus().getFailed(),
        (int) observed.pods().stream().filter(p -> "Failed".equals(phase(p))).count());
    status.setRestarts(Math.max(failedPods, status.getRestarts() == null ? 0 : status.getRestarts()));
    boolean ranBefore = failedPods > 0
        || (job.getStatus() != null && job.getStatus().getSucceeded() != null && job.getStatus().getSucceeded() > 0);
    Optional<Pod> running = observed.pods().stream().filter(p -> "Running".equals(phase(p))).findFirst();
    if (status.getStartTime() == null && (running.isPresent() || ranBefore)) {
      String started = running.map(p -> p.getStatus().getStartTime()).orElse(null);
      status.setStartTime(started != null ? started : Conditions.timestamp(now));
    }

    Optional<JobCondition> complete = jobCondition(job, "Complete");
    Optional<JobCondition> failed = jobCondition(job, "Failed");
    if (complete.isPresent()) {
      status.setPhase(FineTuneJobPhase.Succeeded);
      status.setCompletionTime(job.getStatus().getCompletionTime() != null
          ? job.getStatus().getCompletionTime() : Conditions.timestamp(now));
      Optional<TrainingResult> result = lastTerminated(observed.pods(), "Succeeded").flatMap(TrainingStatus::result);
      result.map(TrainingResult::model).ifPresent(status::setModel);
      condition(ftj, COMPLETE, true, "TrainingSucceeded", result.map(TrainingResult::model).isPresent()
          ? "model written to " + status.getModel().getUri()
          : "training succeeded, but the trainer reported no model in its termination message", now);
      condition(ftj, RUNNING, false, "Completed", "training has ended", now);
      return;
    }
    if (failed.isPresent()) {
      Optional<Pod> lastFailed = lastTerminated(observed.pods(), "Failed");
      boolean invalidInput = lastFailed.flatMap(TrainingStatus::terminated)
          .map(t -> Objects.equals(t.getExitCode(), TrainerContract.EXIT_INVALID_INPUT)).orElse(false);
      String reason = invalidInput ? "InvalidInput" : Objects.requireNonNullElse(failed.get().getReason(), "JobFailed");
      String trainerSaid = lastFailed.flatMap(TrainingStatus::result).map(TrainingResult::error)
          .or(() -> lastFailed.flatMap(TrainingStatus::terminated).map(ContainerStateTerminated::getMessage))
          .map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
      String message = Objects.requireNonNullElse(failed.get().getMessage(), "the training Job failed")
          + (trainerSaid == null ? "" : "; trainer: " + trainerSaid);
      condition(ftj, RUNNING, false, reason, "training has ended", now);
      fail(ftj, reason, message, now);
      if (job.getStatus().getCompletionTime() == null) {
        status.setCompletionTime(Conditions.timestamp(now));
      }
      return;
    }
    boolean jobSuspended = Boolean.TRUE.equals(job.getSpec().getSuspend());
    if (jobSuspended) {
      condition(ftj, RUNNING, false, "Suspended", "no training pod runs", now);
      if (observed.userSuspended()) {
        suspended(ftj, now);
      } else {
        status.setPhase(FineTuneJobPhase.Queued);
        condition(ftj, SUSPENDED, false, "WaitingForAdmission", "waiting for the Kueue queue to admit the Job", now);
      }
      return;
    }
    condition(ftj, SUSPENDED, false, "NotSuspended", "the training Job is active", now);
    if (running.isPresent()) {
      status.setPhase(FineTuneJobPhase.Running);
      condition(ftj, POD_SCHEDULED, true, "Scheduled", "on node " + running.get().getSpec().getNodeName(), now);
      condition(ftj, RUNNING, true, "TrainerRunning", "pod " + running.get().getMetadata().getName() + " is training",
          now);
      return;
    }
    status.setPhase(FineTuneJobPhase.Pending);
    condition(ftj, RUNNING, false, "PodPending", "waiting for a training pod to start", now);
    Optional<PodCondition> unschedulable = observed.pods().stream()
        .filter(p -> "Pending".equals(phase(p)))
        .flatMap(p -> p.getStatus().getConditions() == null ? java.util.stream.Stream.empty()
            : p.getStatus().getConditions().stream())
        .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()))
        .findFirst();
    unschedulable.ifPresentOrElse(
        c -> condition(ftj, POD_SCHEDULED, false, Objects.requireNonNullElse(c.getReason(), "Unschedulable"),
            "the training pod cannot be scheduled: " + Objects.requireNonNullElse(c.getMessage(), "no reason given"),
            now),
        () -> {
          if (observed.pods().stream().anyMatch(p -> p.getSpec() != null && p.getSpec().getNodeName() != null)) {
            condition(ftj, POD_SCHEDULED, true, "Scheduled", "the training pod is starting", now);
          }
        });
  }

  private static void suspended(FineTuneJob ftj, Instant now) {
    ftj.getStatus().setPhase(FineTuneJobPhase.Suspended);
    condition(ftj, SUSPENDED, true, "SuspendedByUser",
        "spec.suspend is true: no training pod runs; checkpoints are kept and training resumes from the latest", now);
  }

  private static void fail(FineTuneJob ftj, String reason, String message, Instant now) {
    ftj.getStatus().setPhase(FineTuneJobPhase.Failed);
    condition(ftj, FAILED, true, reason, truncate(message), now);
    if (ftj.getStatus().getCompletionTime() == null) {
      ftj.getStatus().setCompletionTime(Conditions.timestamp(now));
    }
  }

  private static void readProgress(FineTuneJob ftj, ObservedTraining observed) {
    if (observed.progress() == null || observed.progress().getData() == null) {
      return;
    }
    String json = observed.progress().getData().get(TrainerContract.PROGRESS_KEY);
    if (json == null || json.isBlank()) {
      return;
    }
    ProgressReport report;
    try {
      report = JSON.readValue(json, ProgressReport.class);
    } catch (Exception e) {
      return; // a half-written or foreign report is ignored; the next one replaces it
    }
    TrainingProgress progress = new TrainingProgress();
    progress.setStep(report.step());
    progress.setTotalSteps(report.totalSteps());
    progress.setEpoch(report.epoch());
    progress.setLoss(report.loss());
    progress.setEvalLoss(report.evalLoss());
    progress.setLearningRate(report.learningRate());
    progress.setTokensPerSecond(report.tokensPerSecond());
    progress.setEtaSeconds(report.etaSeconds());
    progress.setUpdateTime(report.time());
    if (report.totalSteps() > 0) {
      progress.setPercent((int) Math.min(100, report.step() * 100 / report.totalSteps()));
    }
    ftj.getStatus().setProgress(progress);
    if (report.checkpoint() != null && report.checkpoint().path() != null) {
      CheckpointStatus checkpoint = new CheckpointStatus();
      checkpoint.setStep(report.checkpoint().step());
      checkpoint.setUri(StorageUri.parse(ftj.getSpec().getOutput().getUri()).resolve(report.checkpoint().path()).uri());
      checkpoint.setTime(report.checkpoint().time());
      ftj.getStatus().setLatestCheckpoint(checkpoint);
    }
  }

  private static Event eventFor(FineTuneJob ftj, FineTuneJobPhase phase) {
    FineTuneJobStatus s = ftj.getStatus();
    return switch (phase) {
      case Pending -> Event.normal("Pending", firstProblem(s, BASE_MODEL_RESOLVED, POD_SCHEDULED)
          .orElse("waiting for the training pod"));
      case Queued -> Event.normal("Queued", "waiting for the Kueue queue to admit the training Job");
      case Running -> Event.normal("Running", "training started"
          + (s.getLatestCheckpoint() == null ? "" : ", resuming after step " + s.getLatestCheckpoint().getStep()));
      case Suspended -> Event.normal("Suspended", "training suspended; checkpoints are kept");
      case Succeeded -> Event.normal("Succeeded",
          s.getModel() == null ? "training succeeded" : "model written to " + s.getModel().getUri());
      case Failed -> Event.warning("Failed", Conditions.find(s.getConditions(), FAILED).map(Condition::getMessage)
          .orElse("training failed"));
    };
  }

  /** The message of the first of these conditions that does not hold. */
  private static Optional<String> firstProblem(FineTuneJobStatus s, String... types) {
    for (String type : types) {
      Optional<String> message = Conditions.find(s.getConditions(), type)
          .filter(c -> !Conditions.TRUE.equals(c.getStatus()))
          .map(Condition::getMessage);
      if (message.isPresent()) {
        return message;
      }
    }
    return Optional.empty();
  }

  /** Succeeded and Failed are final. */
  static boolean isTerminal(FineTuneJobPhase phase) {
    return phase == FineTuneJobPhase.Succeeded || phase == FineTuneJobPhase.Failed;
  }

  private static Optional<JobCondition> jobCondition(Job job, String type) {
    return job.getStatus() == null || job.getStatus().getConditions() == null ? Optional.empty()
        : job.getStatus().getConditions().stream()
            .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus())).findFirst();
  }

  private static Optional<Pod> lastTerminated(List<Pod> pods, String phase) {
    return pods.stream()
        .filter(p -> phase.equals(phase(p)))
        .max(Comparator.comparing(p -> terminated(p).map(ContainerStateTerminated::getFinishedAt).orElse("")));
  }

  private static Optional<ContainerStateTerminated> terminated(Pod pod) {
    List<ContainerStatus> statuses = pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
    return statuses == null ? Optional.empty() : statuses.stream()
        .filter(c -> TrainingJobResources.CONTAINER.equals(c.getName()))
        .map(c -> c.getState() == null ? null : c.getState().getTerminated())
        .filter(Objects::nonNull)
        .findFirst();
  }

  private static Optional<TrainingResult> result(Pod pod) {
    return terminated(pod).map(ContainerStateTerminated::getMessage).filter(m -> m != null && m.strip().startsWith("{"))
        .flatMap(m -> {
          try {
            return Optional.of(JSON.readValue(m, TrainingResult.class));
          } catch (Exception e) {
            return Optional.empty();
          }
        });
  }

  private static String phase(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }

  private static void condition(FineTuneJob ftj, String type, boolean value, String reason, String message,
      Instant now) {
    Conditions.set(ftj.getStatus().getConditions(), type, value ? Conditions.TRUE : Conditions.FALSE, reason,
        truncate(message), ftj.getMetadata().getGeneration(), now);
  }

  private static String truncate(String message) {
    return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE - 3) + "...";
  }

}
