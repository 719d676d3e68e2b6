package dev.kamado.demo.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.RepoLayout;
import dev.kamado.testing.WithApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's examples ({@code examples/triage-*.yaml}) on a real kube-apiserver with Kamado's CRDs: each object is
 * server-side applied with dry-run and must be accepted, defaults filled in, nothing persisted.
 */
@WithApiServer
class TriageExamplesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void setUp(ControlPlane cp) {
    client = cp.client();
    namespace = cp.createNamespace("triage-examples");
  }

  static List<HasMetadata> load() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(RepoLayout.examples())) {
      files = list.filter(p -> p.getFileName().toString().matches("triage-.*\\.yaml")).sorted().toList();
    }
    assertThat(files).extracting(p -> p.getFileName().toString())
        .contains("triage-finetunejobs.yaml", "triage-modelserver.yaml");
    List<HasMetadata> items = new ArrayList<>();
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        items.addAll(client.load(in).items());
      }
    }
    return items;
  }

  @Test
  void everyTriageExampleIsAcceptedByServerSideApplyDryRun() throws IOException {
    List<HasMetadata> items = load();
    assertThat(items).extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder("FineTuneJob", "FineTuneJob", "ModelServer");
    for (HasMetadata item : items) {
      item.getMetadata().setNamespace(namespace);
      HasMetadata applied = client.resource(item).dryRun().fieldManager("kamado-demo-test").forceConflicts()
          .serverSideApply();
      assertThat(applied.getMetadata().getName()).isEqualTo(item.getMetadata().getName());
      JsonNode spec = JSON.valueToTree(((GenericKubernetesResource) applied).getAdditionalProperties().get("spec"));
      if (item.getKind().equals("FineTuneJob")) {
        // Defaults the API server fills in show the object went through the CRD's schema.
        assertThat(spec.at("/resources/gpuResourceName").asText()).as(item.getMetadata().getName())
            .isEqualTo("nvidia.com/gpu");
      } else {
        assertThat(spec.at("/responseSchema/properties/category/enum").size()).isEqualTo(13);
      }
    }
    // Dry-run persisted nothing.
    assertThat(client.genericKubernetesResources("kamado.dev/v1alpha1", "FineTuneJob").inNamespace(namespace).list()
        .getItems()).isEmpty();
  }

  @Test
  void dryRunStillRejectsAnInvalidChange() throws IOException {
    HasMetadata cpt = load().stream().filter(i -> i.getMetadata().getName().equals("triage-demo-cpt")).findFirst()
        .orElseThrow();
    GenericKubernetesResource broken = (GenericKubernetesResource) cpt;
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> spec = (java.util.Map<String, Object>) broken.getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    java.util.Map<String, Object> dataset = (java.util.Map<String, Object>) spec.get("dataset");
    dataset.put("format", "chat");
    broken.getMetadata().setNamespace(namespace);
    assertThatThrownBy(() -> client.resource(broken).dryRun().fieldManager("kamado-demo-test").forceConflicts()
        .serverSideApply())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("objective continued-pretraining needs dataset.format text");
  }
}
