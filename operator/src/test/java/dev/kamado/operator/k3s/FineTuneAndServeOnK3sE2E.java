package dev.kamado.operator.k3s;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import dev.kamado.operator.autoscale.TinyServedModel;
import dev.kamado.testing.RepoLayout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Docker tier, end to end: builds the operator, trainer and server images from their Dockerfiles (from the jars the
 * reactor built), imports them into a K3s cluster in a container, installs the chart, runs a tiny CPU FineTuneJob on
 * a hostPath volume holding a tiny random model and a dataset, then a ModelServer on its result, and calls
 * {@code /v1/completions} through the ModelServer's Service (the API server's service proxy). Runs only where a
 * Docker engine is reachable; elsewhere JUnit reports it as skipped ("Docker is not available").
 */
@Testcontainers(disabledWithoutDocker = true)
class FineTuneAndServeOnK3sE2E {
  private static final String TAG = "e2e";
  private static final String NS = "e2e";
  /** The hostPath (inside the K3s node container) behind the {@code kamado-data} claim. */
  private static final String DATA = "/kamado-data";

  @Container
  private static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.33.1-k3s1"));

  @Test
  void fineTunesThenServesThroughTheService(@TempDir Path dir) throws Exception {
    Path root = RepoLayout.root();
    importImage(new ImageFromDockerfile("kamado-operator:" + TAG, false)
        .withFileFromPath("Dockerfile", root.resolve("operator/Dockerfile"))
        .withFileFromPath("target/kamado-operator.jar", root.resolve("operator/target/kamado-operator.jar")).get(),
        dir);
    importImage(new ImageFromDockerfile("kamado-trainer:" + TAG, false)
        .withFileFromPath("Dockerfile", root.resolve("trainer-image/Dockerfile"))
        .withFileFromPath("trainer-image/target/kamado-trainer.jar",
            root.resolve("trainer-image/target/kamado-trainer.jar"))
        .withFileFromPath("trainer-image/entrypoint.sh", root.resolve("trainer-image/entrypoint.sh")).get(), dir);
    importImage(new ImageFromDockerfile("kamado-server:" + TAG, false)
        .withFileFromPath("Dockerfile", root.resolve("server-image/Dockerfile"))
        .withFileFromPath("target/kamado-server.jar", root.resolve("server-image/target/kamado-server.jar")).get(),
        dir);

    // The volume: a tiny random base model and a small completion dataset, writable by the pods' non-root users.
    Path data = Files.createDirectories(dir.resolve("data"));
    TinyServedModel.write(Files.createDirectories(data.resolve("base")));
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      lines.append("{\"input\": \"Ticket ").append(i).append(": the printer is broken.\", \"output\": ")
          .append("\"{\\\"category\\\": \\\"hardware\\\"}\"}\n");
    }
    Files.writeString(data.resolve("train.jsonl"), lines);
    K3S.copyFileToContainer(MountableFile.forHostPath(data), DATA);
    exec("chmod", "-R", "a+rwX", DATA);

    String kubeconfig = K3S.getKubeConfigYaml();
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(kubeconfig)).build()) {
      assertThat(new Helm(RepoLayout.chart()).install().withName("kamado").withNamespace("kamado-system")
          .createNamespace().withKubeConfigContents(kubeconfig)
          .set("replicaCount", "1")
          .set("image.repository", "kamado-operator").set("image.tag", TAG).set("image.pullPolicy", "Never")
          .set("trainerImage.repository", "kamado-trainer").set("trainerImage.tag", TAG)
          .set("serverImage.repository", "kamado-server").set("serverImage.tag", TAG)
          .call().getStatus()).isEqualTo("deployed");

      apply(client, """
          apiVersion: v1
          kind: Namespace
          metadata: {name: %1$s}
          ---
          apiVersion: v1
          kind: PersistentVolume
          metadata: {name: kamado-data}
          spec:
            capacity: {storage: 1Gi}
            accessModes: [ReadWriteOnce]
            storageClassName: ""
            hostPath: {path: %2$s, type: Directory}
          ---
          apiVersion: v1
          kind: PersistentVolumeClaim
          metadata: {name: kamado-data, namespace: %1$s}
          spec:
            accessModes: [ReadWriteOnce]
            storageClassName: ""
            volumeName: kamado-data
            resources: {requests: {storage: 1Gi}}
          ---
          apiVersion: kamado.dev/v1alpha1
          kind: FineTuneJob
          metadata: {name: tiny-sft, namespace: %1$s}
          spec:
            objective: sft
            baseModel: {uri: "pvc://kamado-data/base"}
            dataset: {uri: "pvc://kamado-data/train.jsonl", format: completion, maxSequenceLength: 128}
            method: {type: full}
            hyperParameters: {epochs: 1, batchSize: 4, seed: 1}
            resources: {cpu: 500m, memory: 2Gi}
            output: {uri: "pvc://kamado-data/out/tiny-v1"}
          ---
          apiVersion: kamado.dev/v1alpha1
          kind: ModelServer
          metadata: {name: tiny, namespace: %1$s}
          spec:
            model: {fineTuneJobRef: {name: tiny-sft}}
            minReplicas: 1
            maxReplicas: 1
            resources: {cpu: 500m, memory: 2Gi}
          """.formatted(NS, DATA));

      awaitPhase(client, "FineTuneJob", "tiny-sft", "Succeeded", 15);
      awaitPhase(client, "ModelServer", "tiny", "Ready", 10);

      String path = "/api/v1/namespaces/" + NS + "/services/tiny:8000/proxy/v1/completions";
      HttpRequest request = client.getHttpClient().newHttpRequestBuilder()
          .uri(client.getMasterUrl().toString().replaceAll("/$", "") + path)
          .post("application/json", "{\"prompt\": \"Ticket 99: the printer is broken.\", \"max_tokens\": 8, "
              + "\"temperature\": 0}")
          .build();
      HttpResponse<String> response = client.getHttpClient().sendAsync(request, String.class)
          .get(2, TimeUnit.MINUTES);
      assertThat(response.code()).as(response.body()).isEqualTo(200);
      assertThat(response.body()).contains("\"completion_tokens\"").contains("\"model\"");
    }
  }

  /** {@code docker save}s a built image and imports it into K3s's containerd. */
  private static void importImage(String image, Path dir) throws Exception {
    Path tar = dir.resolve(image.replace(':', '-') + ".tar");
    try (InputStream in = DockerClientFactory.instance().client().saveImageCmd(image).exec()) {
      Files.copy(in, tar, StandardCopyOption.REPLACE_EXISTING);
    }
    K3S.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/image.tar");
    exec("ctr", "-n", "k8s.io", "images", "import", "/tmp/image.tar");
    exec("rm", "/tmp/image.tar");
    Files.delete(tar);
  }

  private static void exec(String... command) throws Exception {
    ExecResult result = K3S.execInContainer(command);
    assertThat(result.getExitCode()).as(String.join(" ", command) + ": " + result.getStderr()).isZero();
  }

  private static void apply(KubernetesClient client, String yaml) {
    for (HasMetadata item : client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(item).serverSideApply();
    }
  }

  private static void awaitPhase(KubernetesClient client, String kind, String name, String phase, int minutes) {
    client.genericKubernetesResources("kamado.dev/v1alpha1", kind).inNamespace(NS).withName(name)
        .waitUntilCondition(r -> r != null && phase.equals(phase(r)), minutes, TimeUnit.MINUTES);
  }

  @SuppressWarnings("unchecked")
  private static String phase(GenericKubernetesResource r) {
    Object status = r.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m ? String.valueOf(((Map<String, Object>) m).get("phase")) : null;
  }
}
