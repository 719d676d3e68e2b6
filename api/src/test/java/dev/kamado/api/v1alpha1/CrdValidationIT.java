package dev.kamado.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.RepoLayout;
import dev.kamado.testing.WithApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The generated CRDs on a real kube-apiserver: what they accept, what they reject, and with which message. */
@WithApiServer
class CrdValidationIT {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final String VALID_JOB = """
      apiVersion: kamado.dev/v1alpha1
      kind: FineTuneJob
      metadata: {name: triage}
      spec:
        objective: sft
        baseModel: {uri: pvc://models/base/qwen2-0.5b}
        dataset: {uri: pvc://datasets/triage/train.jsonl, format: chat}
        method: {type: lora, lora: {rank: 16}}
        hyperParameters: {learningRate: 0.0002}
        resources: {gpus: 1, cpu: 4, memory: 32Gi}
        checkpoint: {everySteps: 100, keep: 2}
        output: {uri: pvc://models/triage/v1}
      """;

  private static final String VALID_SERVER = """
      apiVersion: kamado.dev/v1alpha1
      kind: ModelServer
      metadata: {name: triage}
      spec:
        model: {fineTuneJobRef: {name: triage}}
        minReplicas: 1
        maxReplicas: 3
        autoscaling: {mode: tokens, targetTokensPerSecondPerReplica: 400}
      """;

  private static ControlPlane controlPlane;
  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void setUp(ControlPlane cp) {
    controlPlane = cp;
    client = cp.client();
    namespace = cp.createNamespace("crd-validation");
  }

  @Test
  void crdsCarryPrinterColumnsShortNamesCategoriesAndSubresources() {
    CustomResourceDefinition jobs = crd("finetunejobs.kamado.dev");
    assertThat(jobs.getSpec().getNames().getShortNames()).contains("ftj");
    assertThat(jobs.getSpec().getNames().getCategories()).containsExactly("kamado");
    CustomResourceDefinitionVersion v = jobs.getSpec().getVersions().get(0);
    assertThat(v.getSubresources().getStatus()).isNotNull();
    assertThat(v.getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .contains("Phase", "Progress", "Loss", "Age");
    // Field descriptions are what `kubectl explain finetunejob.spec.<field>` shows.
    var spec = v.getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    assertThat(spec.getProperties()).allSatisfy((field, schema) -> assertThat(schema.getDescription())
        .as("description of spec.%s", field).isNotBlank());

    CustomResourceDefinition servers = crd("modelservers.kamado.dev");
    assertThat(servers.getSpec().getNames().getShortNames()).contains("ms");
    assertThat(servers.getSpec().getNames().getCategories()).containsExactly("kamado");
    CustomResourceDefinitionVersion sv = servers.getSpec().getVersions().get(0);
    assertThat(sv.getSubresources().getScale().getSpecReplicasPath()).isEqualTo(".spec.replicas");
    assertThat(sv.getSubresources().getScale().getStatusReplicasPath()).isEqualTo(".status.replicas");
    assertThat(sv.getSubresources().getScale().getLabelSelectorPath()).isEqualTo(".status.selector");
    assertThat(sv.getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .contains("Model", "Ready", "Replicas", "Tokens/s", "Age");
  }

  @Test
  void everyExampleIsAccepted() throws IOException {
    String ns = controlPlane.createNamespace("examples");
    List<Path> files;
    try (Stream<Path> list = Files.list(RepoLayout.examples())) {
      files = list.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(4);
    int kamadoObjects = 0;
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        for (HasMetadata item : client.load(in).items()) {
          item.getMetadata().setNamespace(ns);
          HasMetadata created = client.resource(item).create();
          assertThat(created.getMetadata().getUid()).as("%s in %s", item.getMetadata().getName(), file).isNotNull();
          if (item.getApiVersion().startsWith("kamado.dev/")) {
            kamadoObjects++;
          }
        }
      }
    }
    assertThat(kamadoObjects).as("FineTuneJobs and ModelServers among the examples").isGreaterThanOrEqualTo(5);
  }

  @Test
  void defaultsAreFilledInByTheApiServer() {
    ObjectNode minimal = parse(VALID_JOB, "defaults");
    minimal.with("spec").remove(List.of("hyperParameters", "checkpoint", "resources"));
    GenericKubernetesResource job = create(minimal);
    JsonNode spec = YAML.valueToTree(job.getAdditionalProperties().get("spec"));
    assertThat(spec.at("/resources/gpuResourceName").asText()).isEqualTo("nvidia.com/gpu");
    assertThat(spec.at("/backoffLimit").asInt()).isEqualTo(3);
    assertThat(spec.at("/suspend").asBoolean(true)).isFalse();
    assertThat(spec.at("/method/lora/alpha").asInt()).isEqualTo(32);
    assertThat(spec.at("/dataset/invalidExamples").asText()).isEqualTo("fail");
    assertThat(spec.at("/hyperParameters/schedule").asText()).isEqualTo("cosine");
    assertThat(spec.at("/hyperParameters/epochs").asInt()).isEqualTo(3);
    assertThat(spec.at("/hyperParameters/learningRate").asDouble()).isEqualTo(0.0002);
    assertThat(spec.at("/checkpoint/everySteps").asInt()).isEqualTo(500);
    assertThat(spec.at("/resources/gpus").asInt(-1)).isZero();
  }

  static Stream<Arguments> invalidResources() {
    return Stream.of(
        job("missing dataset", s -> s.with("spec").remove("dataset"),
            "spec.dataset: Required value"),
        job("unknown objective", s -> s.with("spec").put("objective", "rlhf"),
            "spec.objective: Unsupported value: \"rlhf\""),
        job("negative GPU count", s -> s.with("spec").with("resources").put("gpus", -1),
            "spec.resources.gpus: Invalid value: -1: spec.resources.gpus in body should be greater than or equal to 0"),
        job("too many GPUs", s -> s.with("spec").with("resources").put("gpus", 65),
            "spec.resources.gpus in body should be less than or equal to 64"),
        job("base model URI with an unsupported scheme",
            s -> s.with("spec").with("baseModel").put("uri", "http://example.com/model"),
            "spec.baseModel.uri in body should match"),
        job("dataset path escaping its volume",
            s -> s.with("spec").with("dataset").put("uri", "pvc://datasets/../etc/passwd"),
            "spec.dataset.uri: Invalid value: \"pvc://datasets/../etc/passwd\": must not contain a '..' path segment"),
        job("LoRA settings with method full",
            s -> s.with("spec").with("method").put("type", "full"),
            "spec.method.lora: Invalid value: lora settings are required with type lora (lora: {} takes the defaults) and only allowed with it"),
        job("LoRA method without LoRA settings",
            s -> s.with("spec").with("method").remove("lora"),
            "spec.method.lora: Invalid value: lora settings are required with type lora"),
        job("both a base model URI and a FineTuneJob reference",
            s -> s.with("spec").with("baseModel").putObject("fineTuneJobRef").put("name", "other"),
            "spec.baseModel: Invalid value: exactly one of uri or fineTuneJobRef must be set"),
        job("distillation without a teacher",
            s -> s.with("spec").put("objective", "distillation"),
            "spec.teacher: Invalid value: teacher is required with objective distillation"),
        job("continued pre-training on chat data",
            s -> s.with("spec").put("objective", "continued-pretraining"),
            "spec.dataset.format: Invalid value: objective continued-pretraining needs dataset.format text"),
        job("keep zero checkpoints", s -> s.with("spec").with("checkpoint").put("keep", 0),
            "spec.checkpoint.keep: Invalid value: 0: spec.checkpoint.keep in body should be greater than or equal to 1"),
        job("memory that is not a quantity", s -> s.with("spec").with("resources").put("memory", "lots"),
            "spec.resources.memory: Invalid value: \"lots\": must be a non-negative Kubernetes quantity"),
        job("negative CPU quantity", s -> s.with("spec").with("resources").put("cpu", "-2"),
            "spec.resources.cpu: Invalid value: \"-2\": must be a non-negative Kubernetes quantity"),
        job("learning rate zero", s -> s.with("spec").with("hyperParameters").put("learningRate", 0),
            "spec.hyperParameters.learningRate in body should be greater than 0"),
        job("unknown LoRA target module",
            s -> ((ArrayNode) s.with("spec").with("method").with("lora").putArray("targetModules")).add("embed_tokens"),
            "target modules must be among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"),
        job("GPU resource name with a space",
            s -> s.with("spec").with("resources").put("gpuResourceName", "nvidia gpu"),
            "spec.resources.gpuResourceName in body should match"),
        job("name longer than a Job name may be", s -> s.with("metadata").put("name", "x".repeat(70)),
            "metadata.name must be at most 63 characters"),
        server("ModelServer without a model", s -> s.with("spec").remove("model"),
            "spec.model: Required value"),
        server("minReplicas above maxReplicas",
            s -> s.with("spec").put("minReplicas", 4),
            "spec.minReplicas: Invalid value: minReplicas must not exceed maxReplicas"),
        server("zero token target",
            s -> s.with("spec").with("autoscaling").put("targetTokensPerSecondPerReplica", 0),
            "spec.autoscaling.targetTokensPerSecondPerReplica in body should be greater than or equal to 1"),
        server("external scaling without replicas",
            s -> s.with("spec").with("autoscaling").put("mode", "external"),
            "autoscaling.mode external needs spec.replicas"),
        server("unknown autoscaling mode", s -> s.with("spec").with("autoscaling").put("mode", "cpu"),
            "spec.autoscaling.mode: Unsupported value: \"cpu\""),
        server("name that cannot name a Service", s -> s.with("metadata").put("name", "1triage"),
            "metadata.name must be a DNS-1035 label"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidResources")
  void invalidResourceIsRejectedWithAMessageNamingTheField(
      String name, String base, Consumer<ObjectNode> mutation, String expected) {
    ObjectNode resource = parse(base, "invalid");
    mutation.accept(resource);
    assertThatThrownBy(() -> create(resource))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining(expected);
  }

  @Test
  void specIsImmutableOnceTheJobHasStartedExceptSuspend() {
    ObjectNode job = parse(VALID_JOB, "immutable");
    GenericKubernetesResource created = create(job);
    String name = created.getMetadata().getName();

    // Before the job has started its spec may still change.
    patchSpec(name, "{\"spec\":{\"hyperParameters\":{\"learningRate\":0.0001}}}");

    // The operator records the start in status; from then on only suspend may change.
    client.genericKubernetesResources("kamado.dev/v1alpha1", "FineTuneJob").inNamespace(namespace).withName(name)
        .subresource("status")
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"status\":{\"startTime\":\"2026-11-28T10:00:00Z\",\"phase\":\"Running\"}}");

    assertThatThrownBy(() -> patchSpec(name, "{\"spec\":{\"dataset\":{\"uri\":\"pvc://datasets/other.jsonl\"}}}"))
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("spec: Forbidden: spec is immutable once the job has started");
    assertThatThrownBy(() -> patchSpec(name, "{\"spec\":{\"resources\":{\"gpus\":2}}}"))
        .hasMessageContaining("spec is immutable once the job has started");
    assertThatThrownBy(() -> patchSpec(name, "{\"spec\":{\"image\":\"example/trainer:2\"}}"))
        .hasMessageContaining("spec is immutable once the job has started");

    GenericKubernetesResource suspended = patchSpec(name, "{\"spec\":{\"suspend\":true}}");
    assertThat(YAML.valueToTree(suspended.getAdditionalProperties().get("spec")).at("/suspend").asBoolean())
        .isTrue();
  }

  private static GenericKubernetesResource patchSpec(String name, String mergePatch) {
    return client.genericKubernetesResources("kamado.dev/v1alpha1", "FineTuneJob").inNamespace(namespace)
        .withName(name)
        .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), mergePatch);
  }

  private static Arguments job(String name, Consumer<ObjectNode> mutation, String expected) {
    return Arguments.of(name, VALID_JOB, mutation, expected);
  }

  private static Arguments server(String name, Consumer<ObjectNode> mutation, String expected) {
    return Arguments.of(name, VALID_SERVER, mutation, expected);
  }

  private static ObjectNode parse(String yaml, String namePrefix) {
    try {
      ObjectNode node = (ObjectNode) YAML.readTree(yaml);
      node.with("metadata").put("name", namePrefix + "-" + Long.toString(System.nanoTime(), 36));
      return node;
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static GenericKubernetesResource create(ObjectNode resource) {
    GenericKubernetesResource generic = YAML.convertValue(resource, GenericKubernetesResource.class);
    generic.getMetadata().setNamespace(namespace);
    return client.resource(generic).create();
  }

  private static CustomResourceDefinition crd(String name) {
    return client.apiextensions().v1().customResourceDefinitions().withName(name).get();
  }
}
