package dev.kamado.trainer.progress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.training.ProgressReport;
import dev.kamado.api.training.TrainerContract;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithApiServer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live-progress path against a real kube-apiserver: the trainer's JDK-HttpClient PATCH of the progress ConfigMap
 * with a service account token that may only touch that ConfigMap (the RBAC the operator creates), TLS checked
 * against the cluster CA; API errors are reported, not thrown.
 */
@WithApiServer
public class ConfigMapProgressIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONFIGMAP = "triage-progress";
  private static KubernetesClient admin;
  private static String namespace;
  public static Path accountDir;
  public static URI server;

  @BeforeAll
  public static void serviceAccountWithTheOperatorsRbac(ControlPlane cp) throws Exception {
    admin = cp.client();
    namespace = cp.createNamespace("trainer-progress");
    admin.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName(CONFIGMAP)
        .endMetadata().build()).create();
    admin.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata()
        .withName("triage-trainer").endMetadata().build()).create();
    admin.rbac().roles().inNamespace(namespace).resource(new RoleBuilder().withNewMetadata().withName("triage-trainer")
        .endMetadata().addToRules(new PolicyRuleBuilder().withApiGroups("").withResources("configmaps")
            .withResourceNames(CONFIGMAP).withVerbs("get", "update", "patch").build()).build()).create();
    admin.rbac().roleBindings().inNamespace(namespace).resource(new RoleBindingBuilder().withNewMetadata()
        .withName("triage-trainer").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "triage-trainer")
        .addNewSubject().withKind("ServiceAccount").withName("triage-trainer").withNamespace(namespace).endSubject()
        .build()).create();
    String token = admin.serviceAccounts().inNamespace(namespace).withName("triage-trainer")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus().getToken();
    accountDir = Files.createDirectories(Path.of("target", "progress-it", namespace).toAbsolutePath());
    Files.writeString(accountDir.resolve("token"), token);
    Files.writeString(accountDir.resolve("namespace"), namespace);
    Config config = admin.getConfiguration();
    byte[] ca = config.getCaCertData() != null ? Base64.getDecoder().decode(config.getCaCertData())
        : Files.readAllBytes(Path.of(config.getCaCertFile()));
    Files.write(accountDir.resolve("ca.crt"), ca);
    server = URI.create(config.getMasterUrl());
  }

  private static KubernetesEndpoint endpoint(String configMap) {
    return new KubernetesEndpoint(server, accountDir.resolve("token"), accountDir.resolve("ca.crt"), namespace,
        configMap);
  }

  @Test
  void patchesTheProgressConfigMapWithTheReport() throws Exception {
    ProgressReport report = new ProgressReport(12, 100, 0.25, 2.5, 2.7, 1e-4, 1234.5, 60L, "2026-01-01T00:00:00Z",
        new ProgressReport.Checkpoint(10, "checkpoints/step-00000010", "2026-01-01T00:00:00Z"));
    ConfigMapProgress sink = new ConfigMapProgress(endpoint(CONFIGMAP));
    assertThat(sink.send(report)).isEqualTo(200);
    String json = admin.configMaps().inNamespace(namespace).withName(CONFIGMAP).get().getData()
        .get(TrainerContract.PROGRESS_KEY);
    assertThat(JSON.readValue(json, ProgressReport.class)).isEqualTo(report);

    ProgressReport later = new ProgressReport(13, 100, 0.26, 2.4, null, 1e-4, 1300.0, 55L, "2026-01-01T00:00:05Z",
        null);
    sink.report(later);
    sink.close();
    assertThat(sink.delivered()).isEqualTo(2);
    assertThat(JSON.readValue(admin.configMaps().inNamespace(namespace).withName(CONFIGMAP).get().getData()
        .get(TrainerContract.PROGRESS_KEY), ProgressReport.class)).isEqualTo(later);
  }

  @Test
  void apiErrorsAreReportedNotThrown() throws Exception {
    ConfigMapProgress forbidden = new ConfigMapProgress(endpoint("someone-elses-progress"));
    assertThat(forbidden.send(new ProgressReport(1, 2, null, null, null, null, null, null, null, null)))
        .as("the service account may only write its own ConfigMap").isEqualTo(403);
    KubernetesEndpoint nowhere = new KubernetesEndpoint(URI.create("https://127.0.0.1:1"), accountDir.resolve("token"),
        accountDir.resolve("ca.crt"), namespace, CONFIGMAP);
    assertThat(new ConfigMapProgress(nowhere).send(new ProgressReport(1, 2, null, null, null, null, null, null, null,
        null))).isEqualTo(-1);
  }

  @Test
  void inClusterEnvironmentIsRecognised() {
    var env = java.util.Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443",
        TrainerContract.ENV_PROGRESS_CONFIGMAP, "x-progress", TrainerContract.ENV_NAMESPACE, "team-a");
    KubernetesEndpoint e = KubernetesEndpoint.fromEnvironment(env, Path.of("/sa")).orElseThrow();
    assertThat(e.configMapUri()).isEqualTo(URI.create("https://10.96.0.1:443/api/v1/namespaces/team-a/configmaps/"
        + "x-progress"));
    assertThat(e.tokenFile()).isEqualTo(Path.of("/sa/token"));
    assertThat(KubernetesEndpoint.fromEnvironment(java.util.Map.of(), Path.of("/sa"))).isEmpty();
  }
}
