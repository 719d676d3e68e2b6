package dev.kamado.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The KWOK cluster harness itself: fake GPU nodes are Ready, the real scheduler places GPU pods by capacity, the
 * real Job controller completes Jobs, and the pod-outcome annotations give failures and disruptions.
 */
@WithKwokCluster
class KwokClusterE2E {
  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void setUp(ControlPlane cp) {
    client = cp.client();
    namespace = cp.createNamespace("kwok");
  }

  @Test
  void gpuNodesAreReadyAndAdvertiseGpus() {
    List<Node> gpuNodes = client.nodes().withLabel("nvidia.com/gpu.present", "true").list().getItems();
    assertThat(gpuNodes).hasSizeGreaterThanOrEqualTo(2);
    for (Node node : gpuNodes) {
      assertThat(node.getStatus().getAllocatable().get("nvidia.com/gpu")).isEqualTo(new Quantity("8"));
      assertThat(node.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));
    }
  }

  @Test
  void aFourGpuJobIsScheduledOnAGpuNodeAndCompletes() {
    Job job = client.resource(gpuJob("four-gpus", 4, Map.of("kamado.dev/kwok-run-seconds", "2"))).create();
    client.resource(job).waitUntilCondition(j -> hasCondition(j, "Complete"), 90, TimeUnit.SECONDS);
    Pod pod = podOf("four-gpus");
    assertThat(pod.getSpec().getNodeName()).startsWith("kwok-gpu-");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Succeeded");
  }

  @Test
  void aSixteenGpuJobCannotBeScheduled() {
    client.resource(gpuJob("sixteen-gpus", 16, Map.of())).create();
    client.pods().inNamespace(namespace).withLabel("job-name", "sixteen-gpus")
        .waitUntilCondition(p -> p != null && unschedulable(p).isPresent(), 90, TimeUnit.SECONDS);
    PodCondition condition = unschedulable(podOf("sixteen-gpus")).orElseThrow();
    assertThat(condition.getMessage()).contains("Insufficient nvidia.com/gpu");
  }

  @Test
  void exitCodeAndDisruptionAnnotationsEndPodsAsAKubeletWould() {
    client.resource(gpuJob("exit-three", 1, Map.of("kamado.dev/kwok-exit-code", "3"))).create();
    client.resource(gpuJob("preempted", 1, Map.of("kamado.dev/kwok-disruption", "true"))).create();
    Pod failed = awaitPod("exit-three", p -> "Failed".equals(p.getStatus().getPhase()));
    assertThat(failed.getStatus().getContainerStatuses().get(0).getState().getTerminated().getExitCode()).isEqualTo(3);
    Pod disrupted = awaitPod("preempted", p -> "Failed".equals(p.getStatus().getPhase()));
    assertThat(disrupted.getStatus().getConditions())
        .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("DisruptionTarget=True"));
  }

  private static Job gpuJob(String name, int gpus, Map<String, String> annotations) {
    return new JobBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withNewTemplate()
        .withNewMetadata().withAnnotations(annotations).endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .addNewContainer()
        .withName("trainer")
        .withImage("example.invalid/trainer:1")
        .withNewResources()
        .withRequests(Map.of("nvidia.com/gpu", new Quantity(String.valueOf(gpus))))
        .withLimits(Map.of("nvidia.com/gpu", new Quantity(String.valueOf(gpus))))
        .endResources()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static boolean hasCondition(Job job, String type) {
    return job != null && job.getStatus() != null && job.getStatus().getConditions() != null
        && job.getStatus().getConditions().stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static Optional<PodCondition> unschedulable(Pod pod) {
    return pod.getStatus() == null || pod.getStatus().getConditions() == null ? Optional.empty()
        : pod.getStatus().getConditions().stream()
            .filter(c -> "PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
                && "Unschedulable".equals(c.getReason()))
            .findFirst();
  }

  private static Pod awaitPod(String job, java.util.function.Predicate<Pod> condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      Optional<Pod> match = client.pods().inNamespace(namespace).withLabel("job-name", job).list().getItems()
          .stream().filter(p -> p.getStatus() != null && condition.test(p)).findFirst();
      if (match.isPresent()) {
        return match.get();
      }
      try {
        TimeUnit.MILLISECONDS.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no pod of job " + job + " reached the expected state: "
        + client.pods().inNamespace(namespace).withLabel("job-name", job).list().getItems());
  }

  private static Pod podOf(String job) {
    List<Pod> pods = client.pods().inNamespace(namespace).withLabel("job-name", job).list().getItems();
    assertThat(pods).hasSize(1);
    return pods.get(0);
  }
}
