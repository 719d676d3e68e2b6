package dev.kamado.operator.finetune;

import dev.kamado.api.training.TrainerContract;
import dev.kamado.api.training.TrainingConfig;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.api.v1alpha1.ObjectRef;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.operator.model.KamadoLabels;
import dev.kamado.operator.status.EventRecorder;
import dev.kamado.operator.status.StatusPatch;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a FineTuneJob into a training run: the training configuration, the trainer's progress channel and a
 * batch/v1 Job, then reports the run truthfully in status. The spec is never written. Deterministic names and
 * create-if-absent make a restart of the operator at any moment harmless: no duplicate Job, no lost status.
 */
@ControllerConfiguration(name = FineTuneJobReconciler.NAME)
public class FineTuneJobReconciler implements Reconciler<FineTuneJob> {
  public static final String NAME = "finetunejob";
  private static final Logger LOG = LoggerFactory.getLogger(FineTuneJobReconciler.class);
  private static final Duration BASE_MODEL_POLL = Duration.ofSeconds(5);
  private static final String OWNED = KamadoLabels.FINE_TUNE_JOB + "," + KamadoLabels.MANAGED_BY + "="
      + KamadoLabels.MANAGER;

  private final OperatorConfig config;
  private final Clock clock;
  private final EventRecorder events;
  // The informers of the Job and the progress ConfigMap, told of what this reconciler creates (see recentlyCreated).
  private volatile InformerEventSource<Job, FineTuneJob> jobEvents;
  private volatile InformerEventSource<ConfigMap, FineTuneJob> progressEvents;

  public FineTuneJobReconciler(OperatorConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.events = new EventRecorder(clock, config.identity());
  }

  @Override
  public List<EventSource<?, FineTuneJob>> prepareEventSources(EventSourceContext<FineTuneJob> context) {
    var jobs = new InformerEventSource<>(InformerEventSourceConfiguration.from(Job.class, FineTuneJob.class)
        .withName("jobs")
        .withLabelSelector(OWNED)
        .withSecondaryToPrimaryMapper(FineTuneJobReconciler::byLabel)
        .build(), context);
    var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, FineTuneJob.class)
        .withName("pods")
        .withLabelSelector(OWNED)
        .withSecondaryToPrimaryMapper(FineTuneJobReconciler::byLabel)
        .build(), context);
    var progress = new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, FineTuneJob.class)
        .withName("progress")
        .withLabelSelector(OWNED + "," + KamadoLabels.COMPONENT + "=progress")
        .withSecondaryToPrimaryMapper(FineTuneJobReconciler::byLabel)
        .build(), context);
    this.jobEvents = jobs;
    this.progressEvents = progress;
    return List.of(jobs, pods, progress);
  }

  @Override
  public UpdateControl<FineTuneJob> reconcile(FineTuneJob ftj, Context<FineTuneJob> context) {
    if (ftj.getStatus() == null) {
      ftj.setStatus(new FineTuneJobStatus());
    }
    FineTuneJobStatus before = StatusPatch.snapshot(ftj.getStatus());
    KubernetesClient client = context.getClient();
    boolean userSuspended = Boolean.TRUE.equals(ftj.getSpec().getSuspend());
    boolean queued = ftj.getSpec().getScheduling() != null && ftj.getSpec().getScheduling().getQueueName() != null;

    String ref = baseRef(ftj);
    FineTuneJob referenced = ref == null ? null
        : context.getPrimaryCache().get(new ResourceID(ref, ftj.getMetadata().getNamespace())).orElse(null);
    BaseModelResolution base = BaseModelResolution.resolve(ftj.getSpec().getBaseModel(), referenced);

    Job job = context.getSecondaryResource(Job.class).orElse(null);
    ConfigMap progress = context.getSecondaryResource(ConfigMap.class).orElse(null);
    if (!TrainingStatus.isTerminal(ftj.getStatus().getPhase()) && base instanceof BaseModelResolution.Resolved resolved) {
      job = ensureJob(client, ftj, resolved.model(), job, userSuspended, queued);
      if (job != null && progress == null) {
        // The Job is created before the trainer's progress channel (see ensureJob); a restart between the two, or a
        // deleted ConfigMap, leaves a Job without it.
        progress = ensureProgressChannel(client, ftj);
      }
    }
    Job trainingJob = job;
    List<Pod> pods = new ArrayList<>(context.getSecondaryResources(Pod.class));

    var transition = TrainingStatus.update(ftj,
        new ObservedTraining(base, job, pods, progress, userSuspended, queued, clock.instant()));
    transition.stream()
        // A new job's first step to Pending comes with its Job, which the JobCreated event already tells.
        .filter(e -> !(before.getPhase() == null && "Pending".equals(e.reason()) && trainingJob != null))
        .forEach(e -> events.record(client, ftj, e.type(), e.reason(), e.message()));
    UpdateControl<FineTuneJob> control = StatusPatch.ifChanged(ftj, before);
    // A job waiting for its base FineTuneJob looks again shortly. Polling the informer cache costs no API call,
    // where a second watch on every FineTuneJob would stream each status change twice.
    return base instanceof BaseModelResolution.Waiting ? control.rescheduleAfter(BASE_MODEL_POLL) : control;
  }

  /** Creates the Job (and what it needs) when absent, and keeps its suspension in line with the spec. */
  private Job ensureJob(KubernetesClient client, FineTuneJob ftj, ResolvedBaseModel base, Job existing,
      boolean userSuspended, boolean queued) {
    if (existing != null && ftj.getStatus().getStartTime() != null) {
      // Started: the spec is immutable now (a CEL rule), so only the suspension can differ from the Job.
      return alignSuspension(client, existing, userSuspended, queued);
    }
    TrainingConfig training = TrainingJobResources.trainingConfig(ftj, base);
    String json = TrainingJobResources.toJson(training);
    Job desired = TrainingJobResources.job(ftj, base, config, userSuspended || queued, json);
    String hash = TrainingJobResources.configHash(json, desired);
    desired.getMetadata().setAnnotations(Map.of(TrainerContract.CONFIG_HASH_ANNOTATION, hash));

    if (existing != null) {
      String existingHash = existing.getMetadata().getAnnotations() == null ? null
          : existing.getMetadata().getAnnotations().get(TrainerContract.CONFIG_HASH_ANNOTATION);
      if (!hash.equals(existingHash)) {
        // The spec (or the operator's defaults) changed before training started: replace the Job, whose pod
        // template is immutable.
        LOG.info("Spec of {} changed before training started; replacing its Job", ref(ftj));
        deleteJob(client, existing);
        return null;
      }
      return alignSuspension(client, existing, userSuspended, queued);
    }
    if (queued && userSuspended) {
      return null;
    }
    if (ftj.getStatus().getJobName() != null && !stillExists(client, ftj)) {
      // This FineTuneJob had a Job, which is gone. The informer's copy can outlive a deleted FineTuneJob for a
      // moment; the garbage collector deleting its Job then triggers a reconcile that must not create the Job again.
      // (A first Job needs no such read: should its FineTuneJob be gone already, the garbage collector removes it.)
      return null;
    }
    // The service account first: the pod's admission needs it. Then the Job, which is what the user waits for; the
    // progress channel after it (the trainer needs that only once it runs, and tolerates a missed report).
    createIfAbsent(client, TrainingJobResources.serviceAccount(ftj));
    Job created = recentlyCreated(jobEvents, createIfAbsent(client, desired));
    events.record(client, ftj, "Normal", "JobCreated", "created Job " + created.getMetadata().getName()
        + (queued ? " in Kueue queue " + ftj.getSpec().getScheduling().getQueueName() : "")
        + " with base model " + base.uri());
    return created;
  }

  /**
   * The Role and RoleBinding that let this job's trainer (and only it) write its progress ConfigMap, then the
   * ConfigMap itself, created last so that its presence in the informer cache means all three exist.
   */
  private ConfigMap ensureProgressChannel(KubernetesClient client, FineTuneJob ftj) {
    createIfAbsent(client, TrainingJobResources.progressRole(ftj));
    createIfAbsent(client, TrainingJobResources.progressRoleBinding(ftj));
    return recentlyCreated(progressEvents, createIfAbsent(client, TrainingJobResources.progressConfigMap(ftj)));
  }

  /** One read before re-creating a Job: is this FineTuneJob (same uid) still there? */
  private static boolean stillExists(KubernetesClient client, FineTuneJob ftj) {
    FineTuneJob live = client.resources(FineTuneJob.class).inNamespace(ftj.getMetadata().getNamespace())
        .withName(ftj.getMetadata().getName()).get();
    return live != null && live.getMetadata().getDeletionTimestamp() == null
        && live.getMetadata().getUid().equals(ftj.getMetadata().getUid());
  }

  private static Job alignSuspension(KubernetesClient client, Job existing, boolean userSuspended, boolean queued) {
    if (queued) {
      if (userSuspended) {
        // Kueue owns a queued Job's suspend flag, so suspending means removing the Job; checkpoints stay.
        deleteJob(client, existing);
        return null;
      }
      return existing;
    }
    if (!Objects.equals(existing.getSpec().getSuspend(), userSuspended)) {
      return client.batch().v1().jobs().inNamespace(existing.getMetadata().getNamespace())
          .withName(existing.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":" + userSuspended + "}}");
    }
    return existing;
  }

  private static <T extends HasMetadata> T createIfAbsent(KubernetesClient client, T object) {
    try {
      return client.resource(object).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        T current = client.resource(object).get();
        if (current != null) {
          return current;
        }
      }
      throw e;
    }
  }

  /**
   * Puts what this reconciler just created into its informer's cache at once. The next reconcile then sees it even
   * before the watch delivers it (so it neither creates it again nor tells of it twice), and the watch's ADD event
   * of that very version starts no reconcile of its own.
   */
  private static <T extends HasMetadata> T recentlyCreated(InformerEventSource<T, FineTuneJob> informer, T created) {
    if (informer != null) {
      informer.handleRecentResourceCreate(ResourceID.fromResource(created), created);
    }
    return created;
  }

  private static void deleteJob(KubernetesClient client, Job job) {
    client.resource(job).withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
        .delete();
  }

  private static Set<ResourceID> byLabel(HasMetadata secondary) {
    String owner = secondary.getMetadata().getLabels() == null ? null
        : secondary.getMetadata().getLabels().get(KamadoLabels.FINE_TUNE_JOB);
    return owner == null ? Set.of() : Set.of(new ResourceID(owner, secondary.getMetadata().getNamespace()));
  }

  private static String baseRef(FineTuneJob ftj) {
    if (ftj.getSpec() == null || ftj.getSpec().getBaseModel() == null) {
      return null;
    }
    ObjectRef ref = ftj.getSpec().getBaseModel().getFineTuneJobRef();
    return ref == null ? null : ref.getName();
  }

  private static String ref(FineTuneJob ftj) {
    return ftj.getMetadata().getNamespace() + "/" + ftj.getMetadata().getName();
  }
}
