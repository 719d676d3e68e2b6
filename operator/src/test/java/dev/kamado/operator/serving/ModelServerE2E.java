package dev.kamado.operator.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.training.TrainingResult;
import dev.kamado.api.v1alpha1.Autoscaling;
import dev.kamado.api.v1alpha1.AutoscalingMode;
import dev.kamado.api.v1alpha1.ComputeResources;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.GenerationDefaults;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerPhase;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.ModelVersion;
import dev.kamado.api.v1alpha1.PodMetadata;
import dev.kamado.api.v1alpha1.Rollout;
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
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ModelServer reconciler on a KWOK cluster: a real API server, controller-manager (Deployment and ReplicaSet
 * controllers, garbage collector) and scheduler with fake GPU nodes, so Deployments roll out for real at the API
 * level. Fake pods have no server behind their IPs, so the autoscaler finds no metrics there and holds.
 */
@WithKwokCluster
class ModelServerE2E {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String V1 = "pvc://models/triage/v1";
  private static final String V2 = "pvc://models/triage/v2";

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
    namespace = cluster.createNamespace("ms");
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
  void deploymentServiceAndBudgetAreAsSpecifiedAndTheSpecIsNeverWritten() {
    ModelServer spec = server("triage", ModelSource.ofUri(V1), 2, 4);
    spec.getSpec().setResponseSchema(JSON.valueToTree(Map.of("type", "object", "required", List.of("category"))));
    GenerationDefaults gen = new GenerationDefaults();
    gen.setMaxTokens(128);
    gen.setTemperature(0.0);
    spec.getSpec().setGeneration(gen);
    ComputeResources res = new ComputeResources();
    res.setGpus(1);
    res.setMemory(new Quantity("8Gi"));
    spec.getSpec().setResources(res);
    create(spec);

    ModelServer ready = await("Ready", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready);
    assertThat(ready.getStatus().getReadyReplicas()).isEqualTo(2);
    assertThat(ready.getStatus().getDesiredReplicas()).isEqualTo(2);
    assertThat(ready.getStatus().getEndpoint()).isEqualTo("http://triage." + namespace + ".svc:8000/v1");
    assertThat(ready.getStatus().getModel().getUri()).isEqualTo(V1);
    assertThat(ready.getStatus().getModel().getReadyReplicas()).isEqualTo(2);
    assertThat(ready.getStatus().getPreviousModel()).isNull();
    assertThat(condition(ready, "ModelResolved").getStatus()).isEqualTo("True");
    assertThat(condition(ready, "Ready").getReason()).isEqualTo("AllReplicasReady");
    assertThat(condition(ready, "Progressing").getReason()).isEqualTo("RolloutComplete");
    // Fake pods serve no /metrics: the autoscaler holds rather than falling to minReplicas.
    ModelServer held = await("autoscaler reading", "triage", s -> s.getStatus().getAutoscaler() != null
        && s.getStatus().getAutoscaler().getLastDecision() != null
        && s.getStatus().getAutoscaler().getLastDecision().startsWith("hold at 2: no metrics"));
    assertThat(held.getStatus().getAutoscaler().getSource()).isEqualTo("pods");
    // GitOps tools see no drift: the operator never writes the spec.
    assertThat(held.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(held.getSpec().getReplicas()).isNull();

    Deployment d = admin.apps().deployments().inNamespace(namespace).withName("triage").get();
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    var pod = d.getSpec().getTemplate().getSpec();
    var c = pod.getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("kamado/server:test");
    assertThat(c.getArgs()).containsExactly("--model", "/kamado/volumes/models/triage/v1", "--port", "8000",
        "--schema", "/etc/kamado/schema/schema.json");
    assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("KAMADO_SERVER_DEFAULT_MAX_TOKENS");
      assertThat(e.getValue()).isEqualTo("128");
    });
    assertThat(pod.getVolumes()).anySatisfy(v -> {
      assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("models");
      assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue();
    });
    assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(60L);
    assertThat(pods("triage")).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).startsWith("kwok-gpu-"));

    Service svc = admin.services().inNamespace(namespace).withName("triage").get();
    assertThat(svc.getSpec().getPorts().get(0).getPort()).isEqualTo(8000);
    assertThat(svc.getSpec().getSelector()).containsEntry("kamado.dev/modelserver", "triage");
    assertThat(admin.policy().v1().podDisruptionBudget().inNamespace(namespace).withName("triage").get()
        .getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(admin.configMaps().inNamespace(namespace).withName("triage-schema").get().getData().get("schema.json"))
        .contains("\"required\":[\"category\"]");

    // Deleting the ModelServer removes all of it (owner references).
    admin.resources(ModelServer.class).inNamespace(namespace).withName("triage").delete();
    awaitTrue("Deployment and Service gone", () -> admin.apps().deployments().inNamespace(namespace)
        .withName("triage").get() == null && admin.services().inNamespace(namespace).withName("triage").get() == null);
  }

  @Test
  void waitsForItsFineTuneJobThenServesTheModelItProduced() throws Exception {
    FineTuneJob ftj = Fixtures.fineTuneJob("triage-ft", "pvc://models/triage/v3");
    ftj.getMetadata().setNamespace(namespace);
    PodMetadata podMetadata = new PodMetadata();
    podMetadata.setAnnotations(Map.of("kamado.dev/kwok-run-seconds", "3600"));
    ftj.getSpec().setPodMetadata(podMetadata);
    admin.resources(FineTuneJob.class).inNamespace(namespace).resource(ftj).create();
    create(server("triage", ModelSource.ofFineTuneJob("triage-ft"), 1, 1));

    ModelServer waiting = await("waiting", "triage", s -> Conditions.find(s.getStatus().getConditions(),
        "ModelResolved").map(c -> "WaitingForFineTuneJob".equals(c.getReason())).orElse(false));
    assertThat(waiting.getStatus().getPhase()).isEqualTo(ModelServerPhase.Pending);
    assertThat(condition(waiting, "ModelResolved").getMessage()).contains("triage-ft");
    assertThat(admin.apps().deployments().inNamespace(namespace).withName("triage").get()).isNull();

    awaitTrue("training pod running", () -> admin.resources(FineTuneJob.class).inNamespace(namespace)
        .withName("triage-ft").get().getStatus().getPhase() == FineTuneJobPhase.Running);
    Pod trainer = admin.pods().inNamespace(namespace).withLabel("kamado.dev/finetunejob", "triage-ft").list()
        .getItems().get(0);
    ModelVersion model = new ModelVersion();
    model.setUri("pvc://models/triage/v3");
    model.setDigest("sha256:" + "ef".repeat(32));
    finishTrainer(trainer, JSON.writeValueAsString(new TrainingResult(model, null)));

    ModelServer ready = await("Ready", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready);
    assertThat(ready.getStatus().getModel().getUri()).isEqualTo("pvc://models/triage/v3");
    assertThat(ready.getStatus().getModel().getDigest()).isEqualTo(model.getDigest());
    assertThat(ready.getStatus().getModel().getFineTuneJob()).isEqualTo("triage-ft");
    assertThat(condition(ready, "ModelResolved").getStatus()).isEqualTo("True");
    Map<String, String> annotations = admin.apps().deployments().inNamespace(namespace).withName("triage").get()
        .getSpec().getTemplate().getMetadata().getAnnotations();
    assertThat(annotations).containsEntry("kamado.dev/model-digest", model.getDigest())
        .containsEntry("kamado.dev/finetunejob", "triage-ft");
  }

  @Test
  void aNewModelRollsOutWithoutEverDroppingBelowTheServingCapacity() throws Exception {
    create(server("triage", ModelSource.ofUri(V1), 3, 3));
    await("Ready", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready
        && s.getStatus().getReadyReplicas() == 3);

    AtomicInteger lowest = new AtomicInteger(Integer.MAX_VALUE);
    AtomicBoolean watching = new AtomicBoolean(true);
    Thread watcher = new Thread(() -> {
      while (watching.get()) {
        long ready = pods("triage").stream().filter(ServingStatus::isReady).count();
        lowest.accumulateAndGet((int) ready, Math::min);
        sleep(50);
      }
    });
    watcher.start();
    try {
      patchSpec("triage", "{\"spec\":{\"model\":{\"uri\":\"" + V2 + "\"}}}");
      ModelServer done = await("rolled out", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready
          && V2.equals(s.getStatus().getModel().getUri()) && s.getStatus().getModel().getReadyReplicas() == 3
          && s.getStatus().getPreviousModel() == null);
      assertThat(done.getStatus().getReadyReplicas()).isEqualTo(3);
    } finally {
      watching.set(false);
      watcher.join();
    }
    assertThat(lowest.get()).as("lowest number of ready pods during the rollout").isGreaterThanOrEqualTo(3);
    assertThat(pods("triage")).filteredOn(p -> p.getMetadata().getDeletionTimestamp() == null)
        .allSatisfy(p -> assertThat(p.getMetadata().getAnnotations()).containsEntry("kamado.dev/model-uri", V2));
    assertThat(eventReasons("triage")).contains("RolloutStarted");
  }

  @Test
  void aRolloutThatNeverBecomesReadyLeavesTheOldVersionServingAcrossAnOperatorRestart() throws Exception {
    ModelServer spec = server("triage", ModelSource.ofUri(V1), 2, 2);
    Rollout rollout = new Rollout();
    rollout.setProgressDeadlineSeconds(30);
    spec.getSpec().setRollout(rollout);
    create(spec);
    await("Ready", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready);

    // The new version's pods can be placed on no node, so they never become ready.
    patchSpec("triage", "{\"spec\":{\"model\":{\"uri\":\"" + V2 + "\"},"
        + "\"scheduling\":{\"nodeSelector\":{\"kamado.dev/no-such-node\":\"true\"}}}}");
    ModelServer rolling = await("both versions in status", "triage", s -> s.getStatus().getPreviousModel() != null
        && V2.equals(s.getStatus().getModel().getUri()));
    assertThat(rolling.getStatus().getPreviousModel().getUri()).isEqualTo(V1);
    assertThat(rolling.getStatus().getPreviousModel().getReadyReplicas()).isEqualTo(2);
    assertThat(rolling.getStatus().getModel().getReadyReplicas()).isZero();
    assertThat(rolling.getStatus().getPhase()).isEqualTo(ModelServerPhase.Progressing);

    // The operator restarts in the middle of the rollout; the new one carries on without touching the Deployment.
    long generation = admin.apps().deployments().inNamespace(namespace).withName("triage").get().getMetadata()
        .getGeneration();
    operator.close();
    operator = startOperator();

    ModelServer stuck = await("stuck rollout", "triage", s -> Conditions.find(s.getStatus().getConditions(),
        "Progressing").map(c -> "ProgressDeadlineExceeded".equals(c.getReason())).orElse(false));
    assertThat(stuck.getStatus().getPhase()).isEqualTo(ModelServerPhase.Degraded);
    assertThat(condition(stuck, "Progressing").getStatus()).isEqualTo("False");
    assertThat(condition(stuck, "Progressing").getMessage()).contains(V2, "did not become ready within 30s",
        V1 + " keeps serving with 2 ready replicas");
    assertThat(condition(stuck, "Ready").getReason()).isEqualTo("ServingPreviousVersion");
    assertThat(stuck.getStatus().getPreviousModel().getReadyReplicas()).isEqualTo(2);
    assertThat(stuck.getStatus().getReadyReplicas()).isEqualTo(2);
    assertThat(admin.apps().deployments().inNamespace(namespace).withName("triage").get().getMetadata()
        .getGeneration()).isEqualTo(generation);
    assertThat(pods("triage")).filteredOn(ServingStatus::isReady).hasSize(2)
        .allSatisfy(p -> assertThat(p.getMetadata().getAnnotations()).containsEntry("kamado.dev/model-uri", V1));
    assertThat(eventReasons("triage")).contains("RolloutStuck");

    // Fixing the placement lets the rollout finish.
    patchSpec("triage", "{\"spec\":{\"scheduling\":null}}");
    ModelServer done = await("rolled out", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready
        && s.getStatus().getPreviousModel() == null && V2.equals(s.getStatus().getModel().getUri()));
    assertThat(done.getStatus().getModel().getReadyReplicas()).isEqualTo(2);
  }

  @Test
  void externalModeFollowsTheReplicasThatAnHpaSetsThroughTheScaleSubresource() {
    ModelServer spec = server("triage", ModelSource.ofUri(V1), 1, 5);
    Autoscaling autoscaling = new Autoscaling();
    autoscaling.setMode(AutoscalingMode.EXTERNAL);
    spec.getSpec().setAutoscaling(autoscaling);
    spec.getSpec().setReplicas(1);
    create(spec);
    await("Ready", "triage", s -> s.getStatus().getPhase() == ModelServerPhase.Ready);

    admin.resources(ModelServer.class).inNamespace(namespace).withName("triage").scale(4);
    ModelServer scaled = await("4 ready", "triage", s -> s.getStatus().getReadyReplicas() == 4
        && s.getStatus().getPhase() == ModelServerPhase.Ready);
    assertThat(scaled.getStatus().getDesiredReplicas()).isEqualTo(4);
    assertThat(scaled.getStatus().getSelector()).isEqualTo("kamado.dev/modelserver=triage,"
        + "app.kubernetes.io/component=server");
    assertThat(scaled.getStatus().getAutoscaler().getSource()).isEqualTo("external");
    assertThat(admin.apps().deployments().inNamespace(namespace).withName("triage").get().getSpec().getReplicas())
        .isEqualTo(4);
  }

  @Test
  void aServiceMonitorIsCreatedOnlyWhereThePrometheusOperatorCrdExists() {
    create(server("plain", ModelSource.ofUri(V1), 1, 1));
    await("Ready", "plain", s -> s.getStatus().getPhase() == ModelServerPhase.Ready);
    assertThat(admin.apiextensions().v1().customResourceDefinitions()
        .withName("servicemonitors.monitoring.coreos.com").get()).isNull();

    // The Prometheus Operator's CRD (its schema left open here); an operator started after it finds it.
    admin.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName("servicemonitors.monitoring.coreos.com").endMetadata()
        .withNewSpec()
        .withGroup("monitoring.coreos.com")
        .withScope("Namespaced")
        .withNewNames().withKind("ServiceMonitor").withPlural("servicemonitors").withSingular("servicemonitor")
        .endNames()
        .addNewVersion().withName("v1").withServed(true).withStorage(true)
        .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
        .endOpenAPIV3Schema().endSchema()
        .endVersion()
        .endSpec()
        .build()).serverSideApply();
    awaitTrue("ServiceMonitor CRD established", () -> {
      var crd = admin.apiextensions().v1().customResourceDefinitions()
          .withName("servicemonitors.monitoring.coreos.com").get();
      return crd.getStatus() != null && crd.getStatus().getConditions().stream()
          .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    });
    operator.close();
    operator = startOperator();
    create(server("monitored", ModelSource.ofUri(V1), 1, 1));
    awaitTrue("ServiceMonitor", () -> admin.genericKubernetesResources("monitoring.coreos.com/v1", "ServiceMonitor")
        .inNamespace(namespace).withName("monitored").get() != null);
    var monitor = admin.genericKubernetesResources("monitoring.coreos.com/v1", "ServiceMonitor")
        .inNamespace(namespace).withName("monitored").get();
    assertThat(Serialization.asJson(monitor.getAdditionalProperties().get("spec")))
        .contains("\"kamado.dev/modelserver\":\"monitored\"", "\"port\":\"http\"",
            "\"path\":\"/metrics\"");
    assertThat(monitor.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(r -> assertThat(r.getName()).isEqualTo("monitored"));
  }

  private ModelServer server(String name, ModelSource model, int min, int max) {
    ModelServer server = new ModelServer();
    server.getMetadata().setName(name);
    server.getMetadata().setNamespace(namespace);
    ModelServerSpec spec = new ModelServerSpec();
    spec.setModel(model);
    spec.setMinReplicas(min);
    spec.setMaxReplicas(max);
    server.setSpec(spec);
    return server;
  }

  private void create(ModelServer server) {
    admin.resources(ModelServer.class).inNamespace(namespace).resource(server).create();
  }

  private void patchSpec(String name, String patch) {
    admin.resources(ModelServer.class).inNamespace(namespace).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  private ModelServer get(String name) {
    return admin.resources(ModelServer.class).inNamespace(namespace).withName(name).get();
  }

  private List<Pod> pods(String server) {
    return admin.pods().inNamespace(namespace).withLabel("kamado.dev/modelserver", server).list().getItems();
  }

  private ModelServer await(String what, String name, Predicate<ModelServer> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    ModelServer current = null;
    while (System.nanoTime() < deadline) {
      current = get(name);
      if (current != null && current.getStatus() != null && condition.test(current)) {
        return current;
      }
      sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what + " of ModelServer " + name + "; status: "
        + (current == null ? "gone" : Serialization.asYaml(current.getStatus())) + "\nDeployment status: "
        + Serialization.asYaml(admin.apps().deployments().inNamespace(namespace).withName(name).get()));
  }

  private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  private static Condition condition(ModelServer server, String type) {
    return Conditions.find(server.getStatus().getConditions(), type).orElseThrow(
        () -> new AssertionError("no " + type + " condition in " + server.getStatus().getConditions()));
  }

  private List<String> eventReasons(String name) {
    return admin.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName())
            && "ModelServer".equals(e.getInvolvedObject().getKind()))
        .map(Event::getReason).toList();
  }

  /** Ends the trainer's pod as the kubelet does when the trainer exits 0 with its result. */
  private void finishTrainer(Pod pod, String terminationMessage) {
    String now = Instant.now().toString();
    Pod current = admin.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get();
    current.getStatus().setPhase("Succeeded");
    current.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
        .withName("trainer").withImage("kamado/trainer:test").withImageID("").withReady(false).withRestartCount(0)
        .withNewState().withNewTerminated().withExitCode(0).withReason("Completed")
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
