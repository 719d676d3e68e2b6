package dev.kamado.operator.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.training.TrainerContract;
import dev.kamado.api.training.TrainingResult;
import dev.kamado.api.v1alpha1.ComputeResources;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.ModelVersion;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.PodMetadata;
import dev.kamado.operator.Fixtures;
import dev.kamado.operator.KamadoOperator;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.operator.status.Conditions;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithKwokCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The FineTuneJob reconciler on a KWOK cluster: a real API server, controller-manager (Job controller, garbage
 * collector) and scheduler, with fake GPU nodes. The test plays the trainer through the same channel a real one
 * uses (its pod's service account token), and ends pods the way a kubelet would.
 */
@WithKwokCluster
class FineTuneJobE2E {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static ControlPlane cluster;
  private static KubernetesClient admin;
  private static KamadoOperator operator;
  private String namespace;

  @BeforeAll
  static void startOperator(ControlPlane cp) {
    cluster = cp;
    admin = cp.client();
    operator = startOperator();
  }

  private static KamadoOperator startOperator() {
    OperatorConfig config = new OperatorConfig(Set.of(), 0, false, null, "e2e", "kamado/trainer:test",
        "kamado/server:test", null, 10, Duration.ofSeconds(5));
    return KamadoOperator.start(config, cluster.newClient(), Clock.systemUTC());
  }

  @AfterAll
  static void stopOperator() {
    if (operator != null) {
      operator.close();
    }
  }

  @BeforeEach
  void namespaceWithStorage() {
    namespace = cluster.createNamespace("ftj");
    // The claims the jobs mount, bound to volumes up front, as the scheduler insists on bound claims.
    for (String claim : List.of("models", "datasets")) {
      String volume = namespace + "-" + claim;
      admin.persistentVolumes().resource(new PersistentVolumeBuilder()
          .withNewMetadata().withName(volume).endMetadata()
          .withNewSpec()
          .withCapacity(Map.of("storage", new Quantity("10Gi")))
          .withAccessModes("ReadWriteMany")
          .withNewHostPath().withPath("/tmp/kamado-e2e/" + volume).endHostPath()
          .withNewClaimRef().withNamespace(namespace).withName(claim).endClaimRef()
          .endSpec()
          .build()).create();
      admin.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
          .withNewMetadata().withName(claim).endMetadata()
          .withNewSpec()
          .withAccessModes("ReadWriteMany")
          .withStorageClassName("")
          .withVolumeName(volume)
          .withNewResources().withRequests(Map.of("storage", new Quantity("10Gi"))).endResources()
          .endSpec()
          .build()).create();
    }
  }

  @Test
  void aFourGpuJobRunsToSucceededWithLiveProgressAndItsModelVersion() throws Exception {
    FineTuneJob ftj = create(job("triage", 4, Map.of("kamado.dev/kwok-run-seconds", "3600")));
    FineTuneJob running = await("Running", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    assertThat(running.getStatus().getStartTime()).isNotNull();
    assertThat(running.getStatus().getJobName()).isEqualTo("triage");

    Job job = admin.batch().v1().jobs().inNamespace(namespace).withName("triage").get();
    var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("4"));
    assertThat(job.getSpec().getPodFailurePolicy().getRules()).hasSize(2);
    Pod pod = onlyPod("triage");
    assertThat(pod.getSpec().getNodeName()).startsWith("kwok-gpu-");
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();

    // The trainer reports progress with its own service account, which may write only its own progress.
    try (KubernetesClient trainer = trainerClient("triage")) {
      trainer.configMaps().inNamespace(namespace).withName("triage-progress").patch(PatchContext.of(
          PatchType.JSON_MERGE), "{\"data\":{\"progress.json\":" + JSON.writeValueAsString("""
              {"step": 50, "totalSteps": 200, "epoch": 0.75, "loss": 1.25, "evalLoss": 1.5, "learningRate": 0.0002,
               "tokensPerSecond": 5120.5, "etaSeconds": 600, "time": "2026-11-28T10:00:00Z",
               "checkpoint": {"step": 50, "path": "checkpoints/step-50", "time": "2026-11-28T09:59:00Z"}}
              """) + "}}");
      assertThatThrownBy(() -> trainer.configMaps().inNamespace(namespace).withName("some-other-config")
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"x\":\"y\"}}"))
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
      assertThatThrownBy(() -> trainer.secrets().inNamespace(namespace).list())
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }
    FineTuneJob progressed = await("progress", ftj, j -> j.getStatus().getProgress() != null
        && Integer.valueOf(25).equals(j.getStatus().getProgress().getPercent()));
    assertThat(progressed.getStatus().getProgress().getLoss()).isEqualTo(1.25);
    assertThat(progressed.getStatus().getProgress().getTokensPerSecond()).isEqualTo(5120.5);
    assertThat(progressed.getStatus().getLatestCheckpoint().getUri())
        .isEqualTo("pvc://models/triage/v1/checkpoints/step-50");

    ModelVersion model = new ModelVersion();
    model.setUri("pvc://models/triage/v1");
    model.setDigest("sha256:" + "ab".repeat(32));
    model.setDatasetDigest("sha256:" + "cd".repeat(32));
    model.setEvalMetrics(Map.of("eval_loss", 0.42));
    finishPod(pod, 0, JSON.writeValueAsString(new TrainingResult(model, null)));

    FineTuneJob done = await("Succeeded", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Succeeded);
    assertThat(done.getStatus().getModel().getDigest()).isEqualTo(model.getDigest());
    assertThat(done.getStatus().getModel().getEvalMetrics()).containsEntry("eval_loss", 0.42);
    assertThat(done.getStatus().getCompletionTime()).isNotNull();
    assertThat(Conditions.isTrue(done.getStatus().getConditions(), "Complete")).isTrue();
    assertThat(eventReasons("triage")).contains("JobCreated", "Running", "Succeeded");
  }

  @Test
  void aSixteenGpuJobStaysPendingAndSaysWhy() {
    FineTuneJob ftj = create(job("too-big", 16, Map.of()));
    FineTuneJob pending = await("unschedulable condition", ftj, j -> Conditions.find(j.getStatus().getConditions(),
        "PodScheduled").map(c -> "Unschedulable".equals(c.getReason())).orElse(false));
    assertThat(pending.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Pending);
    assertThat(condition(pending, "PodScheduled").getMessage()).contains("Insufficient nvidia.com/gpu");

    // Deleting the FineTuneJob removes everything the operator made for it (the garbage collector follows the
    // owner references); the claims, and so the artifacts on them, are not the operator's and stay.
    admin.resources(FineTuneJob.class).inNamespace(namespace).withName("too-big").delete();
    awaitPods("too-big", List::isEmpty);
    awaitGone(() -> admin.batch().v1().jobs().inNamespace(namespace).withName("too-big").get());
    awaitGone(() -> admin.serviceAccounts().inNamespace(namespace).withName("too-big-trainer").get());
    awaitGone(() -> admin.configMaps().inNamespace(namespace).withLabel("kamado.dev/finetunejob", "too-big").list()
        .getItems().stream().findAny().orElse(null));
    assertThat(admin.batch().v1().jobs().inNamespace(namespace).withName("too-big").get()).isNull();
    assertThat(admin.configMaps().inNamespace(namespace).withLabel("kamado.dev/finetunejob", "too-big").list()
        .getItems()).isEmpty();
    assertThat(admin.serviceAccounts().inNamespace(namespace).withName("too-big-trainer").get()).isNull();
    assertThat(admin.persistentVolumeClaims().inNamespace(namespace).withName("models").get()).isNotNull();
  }

  @Test
  void failingPodsAreRetriedUpToTheBackoffLimitThenTheJobFailsWithTheReason() {
    FineTuneJob spec = job("flaky", 1, Map.of("kamado.dev/kwok-exit-code", "1"));
    spec.getSpec().setBackoffLimit(1);
    FineTuneJob ftj = create(spec);
    FineTuneJob failed = await("Failed", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Failed);
    assertThat(condition(failed, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(failed.getStatus().getRestarts()).isEqualTo(2);
    assertThat(eventReasons("flaky")).contains("Failed");
  }

  @Test
  void invalidInputFailsAtOnceWithoutRetrying() {
    FineTuneJob spec = job("bad-data", 1, Map.of("kamado.dev/kwok-exit-code", "3"));
    spec.getSpec().setBackoffLimit(5);
    FineTuneJob failed = await("Failed", create(spec), j -> j.getStatus().getPhase() == FineTuneJobPhase.Failed);
    assertThat(condition(failed, "Failed").getReason()).isEqualTo("InvalidInput");
    assertThat(failed.getStatus().getRestarts()).isEqualTo(1);
  }

  @Test
  void disruptionsAreNotCountedAgainstTheBackoffLimit() {
    FineTuneJob spec = job("preempted", 1, Map.of("kamado.dev/kwok-disruption", "true"));
    spec.getSpec().setBackoffLimit(0);
    FineTuneJob ftj = create(spec);
    FineTuneJob restarted = await("two disrupted pods", ftj,
        j -> j.getStatus().getRestarts() != null && j.getStatus().getRestarts() >= 2);
    assertThat(restarted.getStatus().getPhase()).isNotEqualTo(FineTuneJobPhase.Failed);
    Job job = admin.batch().v1().jobs().inNamespace(namespace).withName("preempted").get();
    assertThat(job.getStatus().getConditions() == null ? List.<String>of()
        : job.getStatus().getConditions().stream().map(c -> c.getType()).toList()).doesNotContain("Failed");
  }

  @Test
  void suspendStopsThePodAndResumeStartsANewOne() {
    FineTuneJob ftj = create(job("pausable", 1, Map.of("kamado.dev/kwok-run-seconds", "3600")));
    await("Running", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    String firstPod = onlyPod("pausable").getMetadata().getName();

    patchSpec("pausable", "{\"spec\":{\"suspend\":true}}");
    await("Suspended", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Suspended);
    awaitPods("pausable", pods -> pods.stream().noneMatch(p -> p.getMetadata().getDeletionTimestamp() == null));
    assertThat(admin.batch().v1().jobs().inNamespace(namespace).withName("pausable").get().getSpec().getSuspend())
        .isTrue();

    patchSpec("pausable", "{\"spec\":{\"suspend\":false}}");
    await("Running again", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    assertThat(onlyPod("pausable").getMetadata().getName()).isNotEqualTo(firstPod);
    assertThat(eventReasons("pausable")).contains("Suspended", "Running");
  }

  @Test
  void aChainedJobWaitsForItsBaseThenTrainsOnTheBaseModel() throws Exception {
    FineTuneJob cpt = job("domain-cpt", 1, Map.of("kamado.dev/kwok-run-seconds", "3600"));
    cpt.getSpec().setObjective(Objective.CONTINUED_PRETRAINING);
    cpt.getSpec().getDataset().setFormat(DatasetFormat.TEXT);
    cpt.getSpec().getOutput().setUri("pvc://models/domain/v1");
    create(cpt);
    FineTuneJob sftSpec = job("triage-on-domain", 1, Map.of("kamado.dev/kwok-run-seconds", "3600"));
    sftSpec.getSpec().setBaseModel(ModelSource.ofFineTuneJob("domain-cpt"));
    FineTuneJob sft = create(sftSpec);

    FineTuneJob waiting = await("waiting for base", sft, j -> Conditions.find(j.getStatus().getConditions(),
        "BaseModelResolved").map(c -> "WaitingForBaseModel".equals(c.getReason())).orElse(false));
    assertThat(waiting.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Pending);
    assertThat(admin.batch().v1().jobs().inNamespace(namespace).withName("triage-on-domain").get()).isNull();

    await("base Running", cpt, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    ModelVersion model = new ModelVersion();
    model.setUri("pvc://models/domain/v1");
    model.setDigest("sha256:" + "ee".repeat(32));
    finishPod(onlyPod("domain-cpt"), 0, JSON.writeValueAsString(new TrainingResult(model, null)));

    FineTuneJob started = await("chained job Running", sft, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    assertThat(started.getStatus().getBaseModel().getUri()).isEqualTo("pvc://models/domain/v1");
    assertThat(started.getStatus().getBaseModel().getDigest()).isEqualTo(model.getDigest());
    var training = JSON.readTree(admin.batch().v1().jobs().inNamespace(namespace).withName("triage-on-domain").get()
        .getSpec().getTemplate().getMetadata().getAnnotations().get(TrainerContract.CONFIG_ANNOTATION));
    assertThat(training.at("/baseModel/path").asText()).isEqualTo("/kamado/volumes/models/domain/v1");
    assertThat(training.at("/baseModel/digest").asText()).isEqualTo(model.getDigest());
  }

  @Test
  void restartingTheOperatorMidRunCreatesNoDuplicateAndKeepsTheStatus() {
    FineTuneJob ftj = create(job("survivor", 2, Map.of("kamado.dev/kwok-run-seconds", "3600")));
    FineTuneJob before = await("Running", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    operator.close();
    operator = startOperator();
    // Give the new operator time to resync every informer and reconcile everything once.
    FineTuneJob after = awaitStable("survivor", Duration.ofSeconds(8));
    assertThat(admin.batch().v1().jobs().inNamespace(namespace).list().getItems())
        .extracting(j -> j.getMetadata().getName()).containsExactly("survivor");
    assertThat(admin.pods().inNamespace(namespace).list().getItems()).hasSize(1);
    assertThat(after.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Running);
    assertThat(after.getStatus().getStartTime()).isEqualTo(before.getStatus().getStartTime());
    assertThat(after.getStatus().getConditions()).extracting(Condition::getLastTransitionTime)
        .isEqualTo(before.getStatus().getConditions().stream().map(Condition::getLastTransitionTime).toList());
  }

  @Test
  void aJobLeftWithoutItsProgressChannelGetsItBackAfterARestart() throws Exception {
    // The operator creates the Job before the trainer's progress channel; stopping it between the two is what
    // removing the channel while it is stopped amounts to.
    FineTuneJob ftj = create(job("orphan", 1, Map.of("kamado.dev/kwok-run-seconds", "3600")));
    await("Running", ftj, j -> j.getStatus().getPhase() == FineTuneJobPhase.Running);
    operator.close();
    admin.configMaps().inNamespace(namespace).withName("orphan-progress").delete();
    admin.rbac().roleBindings().inNamespace(namespace).withName("orphan-trainer").delete();
    admin.rbac().roles().inNamespace(namespace).withName("orphan-trainer").delete();
    awaitGone(() -> admin.configMaps().inNamespace(namespace).withName("orphan-progress").get());
    operator = startOperator();

    awaitPresent(() -> admin.configMaps().inNamespace(namespace).withName("orphan-progress").get());
    assertThat(admin.rbac().roles().inNamespace(namespace).withName("orphan-trainer").get()).isNotNull();
    assertThat(admin.rbac().roleBindings().inNamespace(namespace).withName("orphan-trainer").get()).isNotNull();
    String report = "{\"data\":{\"progress.json\":" + JSON.writeValueAsString("""
        {"step": 10, "totalSteps": 100, "epoch": 0.1, "loss": 2.5, "time": "2026-11-28T10:00:00Z"}
        """) + "}}";
    try (KubernetesClient trainer = trainerClient("orphan")) {
      // The API server's authorizer learns of the re-created RoleBinding through its own watch: allow it a moment.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (true) {
        try {
          trainer.configMaps().inNamespace(namespace).withName("orphan-progress")
              .patch(PatchContext.of(PatchType.JSON_MERGE), report);
          break;
        } catch (KubernetesClientException e) {
          if (e.getCode() != 403 || System.nanoTime() > deadline) {
            throw e;
          }
          sleep(200);
        }
      }
    }
    await("progress", ftj, j -> j.getStatus().getProgress() != null
        && Integer.valueOf(10).equals(j.getStatus().getProgress().getPercent()));
    assertThat(admin.batch().v1().jobs().inNamespace(namespace).list().getItems())
        .extracting(j -> j.getMetadata().getName()).containsExactly("orphan");
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  private FineTuneJob job(String name, int gpus, Map<String, String> podAnnotations) {
    FineTuneJob job = Fixtures.fineTuneJob(name, "pvc://models/" + name + "/v1");
    job.getMetadata().setNamespace(namespace);
    ComputeResources resources = new ComputeResources();
    resources.setGpus(gpus);
    resources.setMemory(new Quantity("16Gi"));
    job.getSpec().setResources(resources);
    PodMetadata podMetadata = new PodMetadata();
    podMetadata.setAnnotations(podAnnotations);
    job.getSpec().setPodMetadata(podMetadata);
    return job;
  }

  private FineTuneJob create(FineTuneJob job) {
    return admin.resources(FineTuneJob.class).inNamespace(namespace).resource(job).create();
  }

  private FineTuneJob get(String name) {
    return admin.resources(FineTuneJob.class).inNamespace(namespace).withName(name).get();
  }

  private void patchSpec(String name, String patch) {
    admin.resources(FineTuneJob.class).inNamespace(namespace).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  private FineTuneJob await(String what, FineTuneJob job, Predicate<FineTuneJob> condition) {
    String name = job.getMetadata().getName();
    long deadline = System.nanoTime() + WAIT.toNanos();
    FineTuneJob current = null;
    while (System.nanoTime() < deadline) {
      current = get(name);
      if (current != null && current.getStatus() != null && condition.test(current)) {
        return current;
      }
      sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what + " of FineTuneJob " + name + "; status: "
        + (current == null ? "gone" : io.fabric8.kubernetes.client.utils.Serialization.asYaml(current.getStatus()))
        + "\nJob: " + io.fabric8.kubernetes.client.utils.Serialization.asYaml(
            admin.batch().v1().jobs().inNamespace(namespace).withName(name).get()));
  }

  /** Waits until the resource's status has not changed for {@code quiet}. */
  private FineTuneJob awaitStable(String name, Duration quiet) {
    String version = get(name).getMetadata().getResourceVersion();
    Instant since = Instant.now();
    while (Duration.between(since, Instant.now()).compareTo(quiet) < 0) {
      sleep(250);
      String now = get(name).getMetadata().getResourceVersion();
      if (!now.equals(version)) {
        version = now;
        since = Instant.now();
      }
    }
    return get(name);
  }

  /** Waits until the object exists. */
  private static void awaitPresent(java.util.function.Supplier<?> lookup) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (lookup.get() == null) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("still absent after " + WAIT);
      }
      sleep(200);
    }
  }

  /** Waits until the object is deleted (the garbage collector works asynchronously). */
  private static void awaitGone(java.util.function.Supplier<?> lookup) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline && lookup.get() != null) {
      sleep(200);
    }
  }

  private Pod onlyPod(String job) {
    List<Pod> pods = awaitPods(job, list -> list.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .count() == 1);
    return pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElseThrow();
  }

  private List<Pod> awaitPods(String job, Predicate<List<Pod>> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<Pod> pods = List.of();
    while (System.nanoTime() < deadline) {
      pods = admin.pods().inNamespace(namespace).withLabel("kamado.dev/finetunejob", job).list().getItems();
      if (condition.test(pods)) {
        return pods;
      }
      sleep(200);
    }
    throw new AssertionError("pods of " + job + " never matched: " + pods);
  }

  /** Ends a pod as the kubelet does when its container exits: phase, container state and termination message. */
  private void finishPod(Pod pod, int exitCode, String terminationMessage) {
    String now = Instant.now().toString();
    Pod current = admin.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get();
    current.getStatus().setPhase(exitCode == 0 ? "Succeeded" : "Failed");
    current.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
        .withName("trainer").withImage("kamado/trainer:test").withImageID("").withReady(false).withRestartCount(0)
        .withNewState().withNewTerminated().withExitCode(exitCode).withReason(exitCode == 0 ? "Completed" : "Error")
        .withMessage(terminationMessage).withStartedAt(current.getStatus().getStartTime()).withFinishedAt(now)
        .endTerminated().endState()
        .build()));
    current.getStatus().getConditions().forEach(c -> {
      if ("Ready".equals(c.getType()) || "ContainersReady".equals(c.getType())) {
        c.setStatus("False");
      }
    });
    admin.pods().inNamespace(namespace).resource(current).updateStatus();
  }

  private KubernetesClient trainerClient(String job) {
    String token = admin.serviceAccounts().inNamespace(namespace).withName(job + "-trainer")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus().getToken();
    Config adminConfig = admin.getConfiguration();
    Config config = new ConfigBuilder(Config.empty())
        .withMasterUrl(adminConfig.getMasterUrl())
        .withCaCertData(adminConfig.getCaCertData())
        .withCaCertFile(adminConfig.getCaCertFile())
        .withOauthToken(token)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private List<String> eventReasons(String name) {
    return admin.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()) && "FineTuneJob".equals(e.getInvolvedObject().getKind()))
        .map(Event::getReason).toList();
  }

  private static Condition condition(FineTuneJob job, String type) {
    return Conditions.find(job.getStatus().getConditions(), type).orElseThrow(
        () -> new AssertionError("no condition " + type + " in " + job.getStatus().getConditions()));
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
