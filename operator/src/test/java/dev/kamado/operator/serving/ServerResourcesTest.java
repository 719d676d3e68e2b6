package dev.kamado.operator.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.v1alpha1.ComputeResources;
import dev.kamado.api.v1alpha1.EngineSettings;
import dev.kamado.api.v1alpha1.GenerationDefaults;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.PodMetadata;
import dev.kamado.api.v1alpha1.Rollout;
import dev.kamado.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The objects a ModelServer turns into, built without a cluster. */
class ServerResourcesTest {
  private static final OperatorConfig CONFIG = new OperatorConfig(Set.of(), 0, false, null, "test",
      "kamado/trainer:1", "kamado/server:1", null, 1, Duration.ofSeconds(1));
  private static final ServedVersion V1 =
      new ServedVersion("pvc://models/triage/v1", "sha256:" + "ab".repeat(32), "triage-ft");

  private static ModelServer server() {
    ModelServer server = new ModelServer();
    server.getMetadata().setName("triage");
    server.getMetadata().setNamespace("apps");
    server.getMetadata().setUid("uid-1");
    ModelServerSpec spec = new ModelServerSpec();
    spec.setModel(ModelSource.ofFineTuneJob("triage-ft"));
    spec.setMinReplicas(1);
    spec.setMaxReplicas(4);
    server.setSpec(spec);
    return server;
  }

  @Test
  void theDeploymentNeverLowersCapacityDuringARollout() {
    ModelServer server = server();
    Rollout rollout = new Rollout();
    rollout.setMaxSurge(2);
    rollout.setProgressDeadlineSeconds(600);
    rollout.setTerminationGracePeriodSeconds(120);
    server.getSpec().setRollout(rollout);
    Deployment d = ServerResources.deployment(server, V1, CONFIG, 3);
    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal()).isEqualTo(2);
    assertThat(d.getSpec().getProgressDeadlineSeconds()).isEqualTo(600);
    assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(120L);
    assertThat(env(container(d))).containsEntry("KAMADO_SERVER_GRACE_PERIOD", "115s");
    // The startup probe waits for the model to load for up to the progress deadline.
    assertThat(container(d).getStartupProbe().getFailureThreshold() * container(d).getStartupProbe()
        .getPeriodSeconds()).isGreaterThanOrEqualTo(600);
  }

  @Test
  void defaultsGiveAGraceAndDeadlineWhenTheSpecSetsNone() {
    Deployment d = ServerResources.deployment(server(), V1, CONFIG, 1);
    assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(60L);
    assertThat(d.getSpec().getProgressDeadlineSeconds()).isEqualTo(900);
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal()).isEqualTo(1);
  }

  @Test
  void theModelIsMountedReadOnlyAndTheVersionAnnotatedOnThePods() {
    Deployment d = ServerResources.deployment(server(), V1, CONFIG, 1);
    Container c = container(d);
    assertThat(c.getArgs()).containsExactly("--model", "/kamado/volumes/models/triage/v1", "--port", "8000");
    assertThat(c.getVolumeMounts()).filteredOn(m -> m.getName().equals("model")).singleElement()
        .satisfies(m -> {
          assertThat(m.getMountPath()).isEqualTo("/kamado/volumes/models");
          assertThat(m.getReadOnly()).isTrue();
        });
    assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getName().equals("model"))
        .singleElement().satisfies(v -> assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue());
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(ServerResources.MODEL_URI_ANNOTATION, V1.uri())
        .containsEntry(ServerResources.MODEL_DIGEST_ANNOTATION, V1.digest())
        .containsEntry(ServerResources.FINE_TUNE_JOB_ANNOTATION, "triage-ft");
    // A new digest at the same URI is a new pod template, so the pods roll.
    ServedVersion retrained = new ServedVersion(V1.uri(), "sha256:" + "cd".repeat(32), "triage-ft");
    Deployment next = ServerResources.deployment(server(), retrained, CONFIG, 1);
    assertThat(ServerResources.specHash(next)).isNotEqualTo(ServerResources.specHash(d));
    assertThat(next.getSpec().getTemplate()).isNotEqualTo(d.getSpec().getTemplate());
  }

  @Test
  void podsRunNonRootOnAReadOnlyRootWithAWritableTmpAndProbes() {
    Deployment d = ServerResources.deployment(server(), V1, CONFIG, 1);
    var pod = d.getSpec().getTemplate().getSpec();
    Container c = container(d);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("tmp")).singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8000));
    assertThat(c.getImage()).isEqualTo("kamado/server:1");
  }

  @Test
  void gpusAreRequestedUnderTheConfiguredResourceName() {
    ModelServer server = server();
    ComputeResources res = new ComputeResources();
    res.setGpus(2);
    res.setGpuResourceName("amd.com/gpu");
    res.setCpu(new Quantity("8"));
    res.setMemory(new Quantity("32Gi"));
    server.getSpec().setResources(res);
    server.getSpec().setImage("registry.local/kamado-server:dev");
    Container c = container(ServerResources.deployment(server, V1, CONFIG, 1));
    assertThat(c.getResources().getRequests()).containsEntry("amd.com/gpu", new Quantity("2"))
        .containsEntry("cpu", new Quantity("8")).containsEntry("memory", new Quantity("32Gi"));
    assertThat(c.getResources().getLimits()).containsEntry("amd.com/gpu", new Quantity("2"))
        .containsEntry("memory", new Quantity("32Gi")).doesNotContainKey("cpu");
    assertThat(c.getImage()).isEqualTo("registry.local/kamado-server:dev");
  }

  @Test
  void theSchemaComesFromAConfigMapAndGenerationDefaultsFromTheEnvironment() {
    ModelServer server = server();
    server.getSpec().setResponseSchema(new ObjectMapper().valueToTree(Map.of("type", "object")));
    GenerationDefaults gen = new GenerationDefaults();
    gen.setMaxTokens(256);
    gen.setTemperature(0.0);
    gen.setTopP(0.9);
    gen.setStop(List.of("\n\n", "END"));
    server.getSpec().setGeneration(gen);
    EngineSettings engine = new EngineSettings();
    engine.setMaxBatchSize(32);
    engine.setMaxWaitingRequests(100);
    server.getSpec().setEngine(engine);

    Deployment d = ServerResources.deployment(server, V1, CONFIG, 1);
    Container c = container(d);
    assertThat(c.getArgs()).containsSubsequence("--schema", "/etc/kamado/schema/schema.json");
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getMountPath()).isEqualTo("/etc/kamado/schema");
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getConfigMap() != null)
        .singleElement().satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("triage-schema"));
    assertThat(ServerResources.schemaConfigMap(server).getData()).containsEntry("schema.json", "{\"type\":\"object\"}");
    assertThat(env(c)).containsEntry("KAMADO_SERVER_SERVED_MODEL_NAME", "triage")
        .containsEntry("KAMADO_SERVER_DEFAULT_MAX_TOKENS", "256")
        .containsEntry("KAMADO_SERVER_DEFAULT_TEMPERATURE", "0.0")
        .containsEntry("KAMADO_SERVER_DEFAULT_TOP_P", "0.9")
        .containsEntry("KAMADO_SERVER_DEFAULT_STOP", "[\"\\n\\n\",\"END\"]")
        .containsEntry("KAMADO_SERVER_MAX_RUNNING", "32")
        .containsEntry("KAMADO_SERVER_MAX_WAITING", "100");
    // A schema change rolls the pods: the template carries the schema's hash.
    String before = d.getSpec().getTemplate().getMetadata().getAnnotations().get(
        ServerResources.SCHEMA_HASH_ANNOTATION);
    server.getSpec().setResponseSchema(new ObjectMapper().valueToTree(Map.of("type", "array")));
    assertThat(ServerResources.deployment(server, V1, CONFIG, 1).getSpec().getTemplate().getMetadata()
        .getAnnotations().get(ServerResources.SCHEMA_HASH_ANNOTATION)).isNotEqualTo(before);
  }

  @Test
  void withoutASchemaThereIsNoConfigMapAndNoSchemaFlag() {
    assertThat(ServerResources.schemaConfigMap(server())).isNull();
    assertThat(container(ServerResources.deployment(server(), V1, CONFIG, 1)).getArgs()).doesNotContain("--schema");
  }

  @Test
  void userPodMetadataIsAddedButKamadoLabelsWin() {
    ModelServer server = server();
    PodMetadata meta = new PodMetadata();
    meta.setLabels(Map.of("team", "support", "kamado.dev/modelserver", "other"));
    meta.setAnnotations(Map.of("sidecar.istio.io/inject", "false"));
    server.getSpec().setPodMetadata(meta);
    Deployment d = ServerResources.deployment(server, V1, CONFIG, 1);
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "support")
        .containsEntry("kamado.dev/modelserver", "triage");
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("sidecar.istio.io/inject", "false");
    assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(ServerResources.selector(server));
  }

  @Test
  void theReplicaCountIsNotPartOfTheSpecHash() {
    Deployment one = ServerResources.deployment(server(), V1, CONFIG, 1);
    Deployment four = ServerResources.deployment(server(), V1, CONFIG, 4);
    assertThat(one.getMetadata().getAnnotations().get(ServerResources.SPEC_HASH_ANNOTATION))
        .isEqualTo(four.getMetadata().getAnnotations().get(ServerResources.SPEC_HASH_ANNOTATION));
    assertThat(four.getSpec().getReplicas()).isEqualTo(4);
  }

  @Test
  void serviceBudgetAndMonitorSelectTheServerPods() {
    ModelServer server = server();
    var service = ServerResources.service(server);
    assertThat(service.getSpec().getSelector()).isEqualTo(ServerResources.selector(server));
    assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getPort()).isEqualTo(8000);
      assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
    });
    var pdb = ServerResources.podDisruptionBudget(server);
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(ServerResources.selector(server));
    var monitor = ServerResources.serviceMonitor(server);
    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
    assertThat(spec.get("selector")).isEqualTo(Map.of("matchLabels", ServerResources.selector(server)));
    assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(ServerResources.selector(server));
    assertThat(ServerResources.endpoint(server)).isEqualTo("http://triage.apps.svc:8000/v1");
    assertThat(ServerResources.selectorString(server))
        .isEqualTo("kamado.dev/modelserver=triage,app.kubernetes.io/component=server");
    for (var owner : List.of(service.getMetadata(), pdb.getMetadata(), monitor.getMetadata())) {
      assertThat(owner.getOwnerReferences()).singleElement().satisfies(r -> {
        assertThat(r.getUid()).isEqualTo("uid-1");
        assertThat(r.getController()).isTrue();
      });
    }
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Map<String, String> env(Container c) {
    return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }
}
