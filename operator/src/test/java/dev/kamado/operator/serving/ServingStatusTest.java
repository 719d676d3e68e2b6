package dev.kamado.operator.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerPhase;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.ModelServerStatus;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.ModelVersion;
import dev.kamado.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Status from observations: model resolution, versions during a rollout, phase and conditions. */
class ServingStatusTest {
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static final ServedVersion V1 = new ServedVersion("pvc://models/t/v1", "sha256:" + "11".repeat(32), "a");
  private static final ServedVersion V2 = new ServedVersion("pvc://models/t/v2", "sha256:" + "22".repeat(32), "b");

  @Test
  void aFineTuneJobRefWaitsUntilTheJobSucceeded() {
    ModelSource ref = ModelSource.ofFineTuneJob("b");
    assertThat(ModelResolution.resolve(ref, null)).isInstanceOfSatisfying(ModelResolution.Waiting.class,
        w -> assertThat(w.reason()).isEqualTo("FineTuneJobNotFound"));
    assertThat(ModelResolution.resolve(ref, job(FineTuneJobPhase.Running, null)))
        .isInstanceOfSatisfying(ModelResolution.Waiting.class, w -> {
          assertThat(w.reason()).isEqualTo("WaitingForFineTuneJob");
          assertThat(w.message()).contains("FineTuneJob b", "Running");
        });
    assertThat(ModelResolution.resolve(ref, job(FineTuneJobPhase.Failed, null)))
        .isInstanceOf(ModelResolution.Unresolvable.class);
    assertThat(ModelResolution.resolve(ref, job(FineTuneJobPhase.Succeeded, V2)))
        .isEqualTo(new ModelResolution.Resolved(V2));
    assertThat(ModelResolution.resolve(ModelSource.ofUri("pvc://models/x"), null))
        .isEqualTo(new ModelResolution.Resolved(new ServedVersion("pvc://models/x", null, null)));
  }

  @Test
  void waitingWithoutADeploymentIsPendingAndSaysWhy() {
    ModelServer server = server();
    var events = ServingStatus.update(server, new ServingStatus.Observed(
        new ModelResolution.Waiting("WaitingForFineTuneJob", "waiting for FineTuneJob b"), null, null, List.of(), 1,
        NOW));
    ModelServerStatus s = server.getStatus();
    assertThat(s.getPhase()).isEqualTo(ModelServerPhase.Pending);
    assertThat(Conditions.find(s.getConditions(), "ModelResolved").orElseThrow().getReason())
        .isEqualTo("WaitingForFineTuneJob");
    assertThat(Conditions.isTrue(s.getConditions(), "Ready")).isFalse();
    assertThat(s.getEndpoint()).isEqualTo("http://t.ns.svc:8000/v1");
    assertThat(events).extracting(ServingStatus.Event::reason).containsExactly("Pending");
  }

  @Test
  void duringARolloutBothVersionsAreShownWithTheirReadyReplicas() {
    ModelServer server = server();
    server.getStatus().setModel(served(V1));
    List<Pod> pods = new ArrayList<>(List.of(pod(V1, true), pod(V1, true), pod(V2, true), pod(V2, false)));
    var events = ServingStatus.update(server, new ServingStatus.Observed(new ModelResolution.Resolved(V2), V2,
        deployment(2, 1, false), pods, 2, NOW));
    ModelServerStatus s = server.getStatus();
    assertThat(s.getModel().getUri()).isEqualTo(V2.uri());
    assertThat(s.getModel().getReadyReplicas()).isEqualTo(1);
    assertThat(s.getPreviousModel().getUri()).isEqualTo(V1.uri());
    assertThat(s.getPreviousModel().getReadyReplicas()).isEqualTo(2);
    assertThat(s.getPhase()).isEqualTo(ModelServerPhase.Progressing);
    assertThat(s.getReadyReplicas()).isEqualTo(3);
    assertThat(s.getReplicas()).isEqualTo(4);
    assertThat(Conditions.find(s.getConditions(), "Progressing").orElseThrow().getReason()).isEqualTo("RollingOut");
    assertThat(Conditions.find(s.getConditions(), "Ready").orElseThrow().getReason())
        .isEqualTo("ServingPreviousVersion");
    assertThat(events).extracting(ServingStatus.Event::reason).contains("RolloutStarted");
  }

  @Test
  void aRolloutPastItsDeadlineIsDegradedWithTheOldVersionStillServing() {
    ModelServer server = server();
    List<Pod> pods = List.of(pod(V1, true), pod(V1, true), pod(V2, false));
    var events = ServingStatus.update(server, new ServingStatus.Observed(new ModelResolution.Resolved(V2), V2,
        deployment(2, 1, true), pods, 2, NOW));
    ModelServerStatus s = server.getStatus();
    assertThat(s.getPhase()).isEqualTo(ModelServerPhase.Degraded);
    var progressing = Conditions.find(s.getConditions(), "Progressing").orElseThrow();
    assertThat(progressing.getStatus()).isEqualTo("False");
    assertThat(progressing.getReason()).isEqualTo("ProgressDeadlineExceeded");
    assertThat(progressing.getMessage()).contains(V2.label(), V1.label() + " keeps serving with 2 ready replicas");
    assertThat(events).extracting(ServingStatus.Event::reason).contains("RolloutStuck", "Degraded");
    // Reported once: the next identical observation records no new Event.
    var again = ServingStatus.update(server, new ServingStatus.Observed(new ModelResolution.Resolved(V2), V2,
        deployment(2, 1, true), pods, 2, NOW.plusSeconds(5)));
    assertThat(again).isEmpty();
  }

  @Test
  void allReplicasOnTheTargetVersionIsReady() {
    ModelServer server = server();
    ServingStatus.update(server, new ServingStatus.Observed(new ModelResolution.Resolved(V2), V2,
        deployment(2, 2, false), List.of(pod(V2, true), pod(V2, true)), 2, NOW));
    ModelServerStatus s = server.getStatus();
    assertThat(s.getPhase()).isEqualTo(ModelServerPhase.Ready);
    assertThat(s.getPreviousModel()).isNull();
    assertThat(Conditions.isTrue(s.getConditions(), "Ready")).isTrue();
    assertThat(s.getDesiredReplicas()).isEqualTo(2);
    assertThat(s.getObservedGeneration()).isEqualTo(3L);
  }

  @Test
  void aFailedFineTuneJobLeavesTheServingVersionInPlace() {
    ModelServer server = server();
    ServingStatus.update(server, new ServingStatus.Observed(
        new ModelResolution.Unresolvable("FineTuneJobFailed", "FineTuneJob b failed"), V1, deployment(1, 1, false),
        List.of(pod(V1, true)), 1, NOW));
    ModelServerStatus s = server.getStatus();
    assertThat(s.getPhase()).isEqualTo(ModelServerPhase.Ready);
    assertThat(s.getModel().getUri()).isEqualTo(V1.uri());
    var resolved = Conditions.find(s.getConditions(), "ModelResolved").orElseThrow();
    assertThat(resolved.getStatus()).isEqualTo("False");
    assertThat(resolved.getMessage()).contains("failed", V1.label() + " keeps serving");
  }

  private static ModelServer server() {
    ModelServer server = new ModelServer();
    server.getMetadata().setName("t");
    server.getMetadata().setNamespace("ns");
    server.getMetadata().setGeneration(3L);
    ModelServerSpec spec = new ModelServerSpec();
    spec.setModel(ModelSource.ofFineTuneJob("b"));
    server.setSpec(spec);
    server.setStatus(new ModelServerStatus());
    return server;
  }

  private static FineTuneJob job(FineTuneJobPhase phase, ServedVersion produced) {
    FineTuneJob job = new FineTuneJob();
    job.getMetadata().setName("b");
    FineTuneJobStatus status = new FineTuneJobStatus();
    status.setPhase(phase);
    if (produced != null) {
      ModelVersion model = new ModelVersion();
      model.setUri(produced.uri());
      model.setDigest(produced.digest());
      status.setModel(model);
    }
    job.setStatus(status);
    return job;
  }

  private static dev.kamado.api.v1alpha1.ServedModel served(ServedVersion v) {
    var m = new dev.kamado.api.v1alpha1.ServedModel();
    m.setUri(v.uri());
    m.setDigest(v.digest());
    return m;
  }

  private static int podCount;

  private static Pod pod(ServedVersion v, boolean ready) {
    return new PodBuilder()
        .withNewMetadata().withName("p" + podCount++).withAnnotations(Map.of(
            ServerResources.MODEL_URI_ANNOTATION, v.uri(), ServerResources.MODEL_DIGEST_ANNOTATION, v.digest(),
            ServerResources.FINE_TUNE_JOB_ANNOTATION, v.fineTuneJob())).endMetadata()
        .withNewStatus().withPhase(ready ? "Running" : "Pending").withPodIP("10.0.0.1")
        .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
        .endStatus()
        .build();
  }

  private static Deployment deployment(int replicas, int updated, boolean deadlineExceeded) {
    var b = new DeploymentBuilder()
        .withNewMetadata().withName("t").withGeneration(2L).endMetadata()
        .withNewSpec().withReplicas(replicas).withProgressDeadlineSeconds(30).endSpec()
        .withNewStatus().withObservedGeneration(2L).withUpdatedReplicas(updated);
    if (deadlineExceeded) {
      b.addNewCondition().withType("Progressing").withStatus("False").withReason("ProgressDeadlineExceeded")
          .endCondition();
    }
    return b.endStatus().build();
  }
}
