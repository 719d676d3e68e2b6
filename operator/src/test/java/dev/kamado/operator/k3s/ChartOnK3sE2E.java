package dev.kamado.operator.k3s;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import dev.kamado.testing.RepoLayout;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Docker tier: the CRDs, the Helm chart and every example on a real K3s cluster in a container. Runs only where a
 * Docker engine is reachable; elsewhere JUnit reports it as skipped ("Docker is not available"). The images of the
 * operator, trainer and server are not built here, so nothing waits for their pods: {@link FineTuneAndServeOnK3sE2E}
 * builds them and runs a FineTuneJob and a ModelServer through them.
 */
@Testcontainers(disabledWithoutDocker = true)
class ChartOnK3sE2E {
  @Container
  private static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.33.1-k3s1"));

  @Test
  void crdsChartAndExamplesInstallOnK3s() throws Exception {
    String kubeconfig = K3S.getKubeConfigYaml();
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(kubeconfig)).build()) {
      try (Stream<Path> files = Files.list(RepoLayout.crds())) {
        for (Path file : files.sorted().toList()) {
          try (InputStream in = Files.newInputStream(file)) {
            CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(in,
                CustomResourceDefinition.class);
            client.resource(crd).serverSideApply();
            client.resource(crd).waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions()
                .stream().anyMatch(x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                60, TimeUnit.SECONDS);
          }
        }
      }
      assertThat(new Helm(RepoLayout.chart()).install().withName("kamado").withNamespace("kamado-system")
          .createNamespace().withKubeConfigContents(kubeconfig).call().getStatus()).isEqualTo("deployed");

      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("examples").endMetadata()
          .build()).create();
      List<Path> examples;
      try (Stream<Path> files = Files.list(RepoLayout.examples())) {
        examples = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      }
      for (Path file : examples) {
        try (InputStream in = Files.newInputStream(file)) {
          for (HasMetadata item : client.load(in).items()) {
            item.getMetadata().setNamespace("examples");
            assertThat(client.resource(item).create().getMetadata().getUid()).isNotNull();
          }
        }
      }
    }
  }
}
