package dev.kamado.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.operator.status.Conditions;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.RepoLayout;
import dev.kamado.testing.WithApiServer;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator as it runs in a cluster: the Helm chart installed into a real API server, two operator processes
 * (the jar the image runs) authenticated as the chart's ServiceAccount, so they have exactly the chart's RBAC, with
 * leader election on. Checks that the chart's permissions suffice and no more are granted, that one replica leads
 * and the other takes over when it is killed, and the health, metrics and JSON log contracts.
 */
@WithApiServer
class OperatorProcessIT {
  private static final String RELEASE_NAMESPACE = "kamado-system";
  private static final String SERVICE_ACCOUNT = "kamado";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ControlPlane controlPlane;
  private static KubernetesClient admin;
  private static Path operatorKubeconfig;
  private static String namespace;

  @BeforeAll
  static void installChartAndIssueToken(ControlPlane cp) throws Exception {
    controlPlane = cp;
    admin = cp.client();
    Release release = new Helm(RepoLayout.chart()).install()
        .withName("kamado")
        .withNamespace(RELEASE_NAMESPACE)
        .createNamespace()
        .withKubeConfig(cp.kubeconfig())
        .call();
    assertThat(release.getStatus()).isEqualTo("deployed");
    assertThat(admin.apps().deployments().inNamespace(RELEASE_NAMESPACE).withName("kamado").get().getSpec()
        .getReplicas()).isEqualTo(2);

    TokenRequest token = admin.serviceAccounts().inNamespace(RELEASE_NAMESPACE).withName(SERVICE_ACCOUNT)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build());
    operatorKubeconfig = writeTokenKubeconfig(cp, token.getStatus().getToken());
    namespace = cp.createNamespace("operator-process");
  }

  @AfterAll
  static void uninstall() throws Exception {
    if (controlPlane != null) {
      new Helm(RepoLayout.chart()).uninstall("kamado")
          .withNamespace(RELEASE_NAMESPACE)
          .withKubeConfig(controlPlane.kubeconfig())
          .call();
    }
  }

  @Test
  void chartGrantsWhatTheOperatorNeedsAndNothingMore() {
    try (KubernetesClient asOperator = clientFor(operatorKubeconfig)) {
      assertThat(asOperator.resources(FineTuneJob.class).inAnyNamespace().list().getItems()).isNotNull();
      assertThatThrownBy(() -> asOperator.secrets().inNamespace(namespace).list())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
      assertThatThrownBy(() -> asOperator.pods().inNamespace(namespace).withName("x").delete())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
      assertThatThrownBy(() -> asOperator.resources(FineTuneJob.class).inNamespace(namespace)
              .resource(fineTuneJob("not-allowed")).create())
          .as("the operator never creates FineTuneJobs; users and GitOps tools own them")
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }
  }

  @Test
  void oneReplicaLeadsReconcilesAndTheOtherTakesOverWhenItIsKilled() throws Exception {
    Path logs = Files.createDirectories(Path.of("target", "operator-process-it"));
    String[] common = {"--leader-election", "--leader-election-namespace", RELEASE_NAMESPACE, "--log-format", "json",
        "--namespaces", namespace};
    try (OperatorProcess a = OperatorProcess.start(operatorKubeconfig, logs.resolve("a.log"), with(common, "--identity", "op-a"));
        OperatorProcess b = OperatorProcess.start(operatorKubeconfig, logs.resolve("b.log"), with(common, "--identity", "op-b"))) {
      for (OperatorProcess p : List.of(a, b)) {
        await("readyz of operator on port " + p.port(), Duration.ofSeconds(60),
            () -> p.get("/readyz").map(r -> r.statusCode() == 200).orElse(false), p);
        assertThat(p.get("/healthz").orElseThrow().statusCode()).isEqualTo(200);
      }
      await("a leader", Duration.ofSeconds(60), () -> holder() != null, a);
      OperatorProcess leader = "op-a".equals(holder()) ? a : b;
      OperatorProcess standby = leader == a ? b : a;
      String standbyName = leader == a ? "op-b" : "op-a";
      await("leader gauge", Duration.ofSeconds(20), () -> leader.metric("kamado_operator_leader").orElse(0.0) == 1.0,
          leader);
      assertThat(standby.metric("kamado_operator_leader")).contains(0.0);

      FineTuneJob job = admin.resources(FineTuneJob.class).inNamespace(namespace).resource(fineTuneJob("first")).create();
      awaitAccepted(job.getMetadata().getName(), leader);
      assertThat(leader.get("/metrics").orElseThrow().body())
          .contains("kamado_operator_reconciliations_started_total{controller=\"finetunejob\"}");

      Instant killed = Instant.now();
      leader.kill();
      await("the standby to take the lease", Duration.ofSeconds(60), () -> standbyName.equals(holder()), standby);
      ModelServer server = admin.resources(ModelServer.class).inNamespace(namespace).resource(modelServer("after"))
          .create();
      await("the new leader to reconcile a ModelServer", Duration.ofSeconds(60), () -> {
        ModelServer s = admin.resources(ModelServer.class).inNamespace(namespace)
            .withName(server.getMetadata().getName()).get();
        // It waits for its FineTuneJob, which has no pod here (no controller-manager), and says so.
        return s.getStatus() != null && Conditions.find(s.getStatus().getConditions(), "ModelResolved")
            .map(c -> "WaitingForFineTuneJob".equals(c.getReason())).orElse(false);
      }, standby);
      System.out.printf("Leader failover: lease taken over and a new resource reconciled %d ms after kill -9%n",
          Duration.between(killed, Instant.now()).toMillis());

      // Structured logs: every line the standby wrote is one JSON object with a level and a message.
      List<String> lines = standby.output().lines().filter(l -> !l.isBlank()).toList();
      assertThat(lines).isNotEmpty();
      for (String line : lines) {
        JsonNode node = JSON.readTree(line);
        assertThat(node.path("log.level").asText()).as(line).isNotEmpty();
        assertThat(node.path("message").asText()).as(line).isNotEmpty();
      }
    }
  }

  private void awaitAccepted(String name, OperatorProcess operator) throws InterruptedException {
    await("FineTuneJob " + name + " to get its training Job", Duration.ofSeconds(60), () -> {
      FineTuneJob j = admin.resources(FineTuneJob.class).inNamespace(namespace).withName(name).get();
      // The operator, with only the chart's permissions, created the training Job, the trainer's service account,
      // its Role and RoleBinding and both ConfigMaps (no controller-manager runs here, so no pod follows).
      return j.getStatus() != null && j.getStatus().getPhase() == FineTuneJobPhase.Pending
          && name.equals(j.getStatus().getJobName())
          && Conditions.isTrue(j.getStatus().getConditions(), "BaseModelResolved")
          && j.getStatus().getObservedGeneration().equals(j.getMetadata().getGeneration());
    }, operator);
  }

  private static String holder() {
    Lease lease = admin.leases().inNamespace(RELEASE_NAMESPACE).withName(OperatorConfig.LEASE_NAME).get();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  static FineTuneJob fineTuneJob(String name) {
    return Fixtures.fineTuneJob(name, "pvc://models/out");
  }

  static ModelServer modelServer(String name) {
    ModelServer server = new ModelServer();
    server.getMetadata().setName(name);
    ModelServerSpec spec = new ModelServerSpec();
    spec.setModel(ModelSource.ofFineTuneJob("first"));
    server.setSpec(spec);
    return server;
  }

  private static String[] with(String[] common, String... more) {
    String[] all = new String[common.length + more.length];
    System.arraycopy(common, 0, all, 0, common.length);
    System.arraycopy(more, 0, all, common.length, more.length);
    return all;
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition, OperatorProcess process)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      if (!process.process().isAlive() && process.process().exitValue() != 0 && process.process().exitValue() != 137) {
        throw new AssertionError("operator exited with " + process.process().exitValue() + " while waiting for "
            + what + ":\n" + process.output());
      }
      TimeUnit.MILLISECONDS.sleep(250);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; operator output:\n"
        + process.output());
  }

  private static Path writeTokenKubeconfig(ControlPlane cp, String token) throws IOException {
    Config adminConfig = cp.client().getConfiguration();
    String ca = adminConfig.getCaCertData() != null
        ? adminConfig.getCaCertData()
        : Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(adminConfig.getCaCertFile())));
    String kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - name: local
          cluster:
            server: %s
            certificate-authority-data: %s
        users:
        - name: kamado-operator
          user:
            token: %s
        contexts:
        - name: operator
          context: {cluster: local, user: kamado-operator, namespace: %s}
        current-context: operator
        """.formatted(adminConfig.getMasterUrl(), ca, token, RELEASE_NAMESPACE);
    Path file = cp.dir().resolve("operator-sa.kubeconfig");
    Files.writeString(file, kubeconfig, StandardCharsets.UTF_8);
    return file;
  }

  private static KubernetesClient clientFor(Path kubeconfig) {
    try {
      Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
      return new KubernetesClientBuilder().withConfig(new ConfigBuilder(config).build()).build();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
