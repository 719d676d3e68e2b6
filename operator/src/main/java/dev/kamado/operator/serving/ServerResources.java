package dev.kamado.operator.serving;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kamado.api.v1alpha1.ComputeResources;
import dev.kamado.api.v1alpha1.EngineSettings;
import dev.kamado.api.v1alpha1.GenerationDefaults;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.PodMetadata;
import dev.kamado.api.v1alpha1.Rollout;
import dev.kamado.api.v1alpha1.Scheduling;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.operator.model.ContainerResources;
import dev.kamado.operator.model.KamadoLabels;
import dev.kamado.operator.model.Owners;
import dev.kamado.operator.model.StorageUri;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The objects a ModelServer turns into, each a pure function of the resource, the resolved model, the replica count
 * and the operator's configuration: the Deployment of inference servers, its Service, a PodDisruptionBudget (more
 * than one replica), a ServiceMonitor (Prometheus Operator installed) and the ConfigMap holding the response schema.
 */
public final class ServerResources {
  /** Port of the server's HTTP API and /metrics. */
  public static final int PORT = 8000;
  static final String CONTAINER = "server";
  static final int SERVER_UID = 65532;
  static final String SCHEMA_DIR = "/etc/kamado/schema";
  static final String SCHEMA_KEY = "schema.json";
  static final int DEFAULT_GRACE_SECONDS = 60;
  static final int DEFAULT_PROGRESS_DEADLINE_SECONDS = 900;

  /** Label on everything that belongs to one ModelServer; the value is its name. */
  public static final String MODEL_SERVER_LABEL = "kamado.dev/modelserver";
  /** Pod template annotations naming the model version the pods serve; a change rolls the pods. */
  public static final String MODEL_URI_ANNOTATION = "kamado.dev/model-uri";
  public static final String MODEL_DIGEST_ANNOTATION = "kamado.dev/model-digest";
  public static final String FINE_TUNE_JOB_ANNOTATION = "kamado.dev/finetunejob";
  /** Pod template annotation: hash of the schema ConfigMap's content, so a schema change rolls the pods too. */
  public static final String SCHEMA_HASH_ANNOTATION = "kamado.dev/schema-hash";
  /** Deployment annotation: hash of everything the operator sets but the replica count, to skip needless patches. */
  public static final String SPEC_HASH_ANNOTATION = "kamado.dev/spec-hash";

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private ServerResources() {}

  public static String schemaConfigMapName(ModelServer server) {
    return server.getMetadata().getName() + "-schema";
  }

  /** In-cluster base URL of the OpenAI-compatible API. */
  public static String endpoint(ModelServer server) {
    return "http://" + server.getMetadata().getName() + "." + server.getMetadata().getNamespace() + ".svc:" + PORT
        + "/v1";
  }

  /** Labels of the pods, which the Deployment, Service and PodDisruptionBudget select by. */
  public static Map<String, String> selector(ModelServer server) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(MODEL_SERVER_LABEL, server.getMetadata().getName());
    selector.put(KamadoLabels.COMPONENT, "server");
    return selector;
  }

  /** The selector as the scale subresource reports it. */
  public static String selectorString(ModelServer server) {
    StringBuilder s = new StringBuilder();
    selector(server).forEach((k, v) -> s.append(s.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return s.toString();
  }

  static Map<String, String> labels(ModelServer server, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(KamadoLabels.NAME, "kamado-server");
    labels.put(KamadoLabels.INSTANCE, server.getMetadata().getName());
    labels.put(KamadoLabels.COMPONENT, component);
    labels.put(KamadoLabels.MANAGED_BY, KamadoLabels.MANAGER);
    labels.put(MODEL_SERVER_LABEL, server.getMetadata().getName());
    return labels;
  }

  /** The response schema ConfigMap, or null when the ModelServer has no schema. */
  public static ConfigMap schemaConfigMap(ModelServer server) {
    if (server.getSpec().getResponseSchema() == null) {
      return null;
    }
    return new ConfigMapBuilder()
        .withMetadata(meta(server, schemaConfigMapName(server), "schema"))
        .addToData(SCHEMA_KEY, schemaJson(server))
        .build();
  }

  /**
   * The Deployment. New pods must be ready before old ones go (maxUnavailable 0), so a rollout never lowers the
   * serving capacity, and a rollout that never becomes ready leaves the old pods serving.
   */
  public static Deployment deployment(ModelServer server, ServedVersion model, OperatorConfig config, int replicas) {
    ModelServerSpec spec = server.getSpec();
    String name = server.getMetadata().getName();
    ComputeResources res = Objects.requireNonNullElseGet(spec.getResources(), ComputeResources::new);
    Scheduling scheduling = Objects.requireNonNullElseGet(spec.getScheduling(), Scheduling::new);
    PodMetadata podMeta = Objects.requireNonNullElseGet(spec.getPodMetadata(), PodMetadata::new);
    Rollout rollout = Objects.requireNonNullElseGet(spec.getRollout(), Rollout::new);
    int grace = Objects.requireNonNullElse(rollout.getTerminationGracePeriodSeconds(), DEFAULT_GRACE_SECONDS);
    int deadline = Objects.requireNonNullElse(rollout.getProgressDeadlineSeconds(), DEFAULT_PROGRESS_DEADLINE_SECONDS);
    int surge = Objects.requireNonNullElse(rollout.getMaxSurge(), 1);

    Map<String, String> podLabels = new LinkedHashMap<>();
    if (podMeta.getLabels() != null) {
      podLabels.putAll(podMeta.getLabels());
    }
    podLabels.putAll(labels(server, "server"));
    Map<String, String> podAnnotations = new LinkedHashMap<>();
    if (podMeta.getAnnotations() != null) {
      podAnnotations.putAll(podMeta.getAnnotations());
    }
    podAnnotations.put(MODEL_URI_ANNOTATION, model.uri());
    if (model.digest() != null) {
      podAnnotations.put(MODEL_DIGEST_ANNOTATION, model.digest());
    }
    if (model.fineTuneJob() != null) {
      podAnnotations.put(FINE_TUNE_JOB_ANNOTATION, model.fineTuneJob());
    }

    StorageUri modelUri = StorageUri.parse(model.uri());
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    String modelVolume = "model";
    volumes.add(new VolumeBuilder().withName(modelVolume)
        .withNewPersistentVolumeClaim(modelUri.claim(), true).build());
    mounts.add(new VolumeMountBuilder().withName(modelVolume).withMountPath(modelUri.claimMountPath())
        .withReadOnly(true).build());
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("1Gi"))
        .endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    volumes.add(new VolumeBuilder().withName("dshm").withNewEmptyDir().withMedium("Memory")
        .withSizeLimit(sharedMemory(res)).endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("dshm").withMountPath("/dev/shm").build());

    List<String> args = new ArrayList<>(List.of("--model", modelUri.mountedPath(), "--port", String.valueOf(PORT)));
    if (spec.getResponseSchema() != null) {
      volumes.add(new VolumeBuilder().withName("schema").withNewConfigMap().withName(schemaConfigMapName(server))
          .endConfigMap().build());
      mounts.add(new VolumeMountBuilder().withName("schema").withMountPath(SCHEMA_DIR).withReadOnly(true).build());
      args.addAll(List.of("--schema", SCHEMA_DIR + "/" + SCHEMA_KEY));
      podAnnotations.put(SCHEMA_HASH_ANNOTATION, hash(schemaJson(server)));
    }


    Container container = new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(spec.getImage() != null ? spec.getImage() : config.serverImage())
        .withArgs(args)
        .withEnv(env(server, grace))
        .addNewPort().withName("http").withContainerPort(PORT).withProtocol("TCP").endPort()
        .withResources(ContainerResources.of(res))
        .withVolumeMounts(mounts)
        // Loading a model can take minutes: the startup probe allows up to the progress deadline.
        .withStartupProbe(probe("/healthz", 5, Math.max(1, (deadline + 4) / 5)))
        .withLivenessProbe(probe("/healthz", 10, 3))
        .withReadinessProbe(probe("/readyz", 5, 2))
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .endSecurityContext()
        .build();

    Deployment deployment = new DeploymentBuilder()
        .withMetadata(meta(server, name, "server"))
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector().withMatchLabels(selector(server)).endSelector()
        .withNewStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate()
        .withMaxUnavailable(new IntOrString(0))
        .withMaxSurge(new IntOrString(surge))
        .endRollingUpdate()
        .endStrategy()
        .withProgressDeadlineSeconds(deadline)
        .withRevisionHistoryLimit(3)
        .withNewTemplate()
        .withNewMetadata().withLabels(podLabels).withAnnotations(podAnnotations).endMetadata()
        .withNewSpec()
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withTerminationGracePeriodSeconds((long) grace)
        .withNodeSelector(scheduling.getNodeSelector())
        .withTolerations(scheduling.getTolerations())
        .withAffinity(scheduling.getAffinity())
        .withPriorityClassName(scheduling.getPriorityClassName())
        .withSecurityContext(ContainerResources.nonRootPod(SERVER_UID))
        .withContainers(container)
        .withVolumes(volumes)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
    deployment.getMetadata().setAnnotations(Map.of(SPEC_HASH_ANNOTATION, specHash(deployment)));
    return deployment;
  }

  /** Hash of the Deployment spec without its replica count. */
  public static String specHash(Deployment deployment) {
    Integer replicas = deployment.getSpec().getReplicas();
    try {
      deployment.getSpec().setReplicas(null);
      return hash(JSON.writeValueAsString(deployment.getSpec()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    } finally {
      deployment.getSpec().setReplicas(replicas);
    }
  }

  /**
   * Settings the server reads from its environment (flags carry the model, port and schema): the served model's
   * name, the generation defaults, batching, and how long to drain at shutdown.
   */
  static List<EnvVar> env(ModelServer server, int graceSeconds) {
    ModelServerSpec spec = server.getSpec();
    GenerationDefaults gen = Objects.requireNonNullElseGet(spec.getGeneration(), GenerationDefaults::new);
    EngineSettings engine = Objects.requireNonNullElseGet(spec.getEngine(), EngineSettings::new);
    List<EnvVar> env = new ArrayList<>();
    // Names follow the server's rule: flag --some-option is KAMADO_SERVER_SOME_OPTION.
    add(env, "KAMADO_SERVER_SERVED_MODEL_NAME", server.getMetadata().getName());
    add(env, "KAMADO_SERVER_DEFAULT_MAX_TOKENS", gen.getMaxTokens());
    add(env, "KAMADO_SERVER_DEFAULT_TEMPERATURE", gen.getTemperature());
    add(env, "KAMADO_SERVER_DEFAULT_TOP_P", gen.getTopP());
    if (gen.getStop() != null && !gen.getStop().isEmpty()) {
      try {
        add(env, "KAMADO_SERVER_DEFAULT_STOP", JSON.writeValueAsString(gen.getStop()));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    add(env, "KAMADO_SERVER_MAX_RUNNING", engine.getMaxBatchSize());
    add(env, "KAMADO_SERVER_MAX_WAITING", engine.getMaxWaitingRequests());
    add(env, "KAMADO_SERVER_MAX_MODEL_LEN", engine.getMaxContextLength());
    // Stop taking requests at SIGTERM, then finish those in flight within the grace period, keeping a margin.
    add(env, "KAMADO_SERVER_GRACE_PERIOD", Math.max(0, graceSeconds - 5) + "s");
    add(env, "HOME", "/tmp");
    return env;
  }

  private static void add(List<EnvVar> env, String name, Object value) {
    if (value != null) {
      env.add(new EnvVar(name, String.valueOf(value), null));
    }
  }

  public static Service service(ModelServer server) {
    return new ServiceBuilder()
        .withMetadata(meta(server, server.getMetadata().getName(), "server"))
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(selector(server))
        .addNewPort().withName("http").withPort(PORT).withTargetPort(new IntOrString("http")).withProtocol("TCP")
        .endPort()
        .endSpec()
        .build();
  }

  /** At most one replica away at a time through voluntary disruptions (drains, upgrades). */
  public static PodDisruptionBudget podDisruptionBudget(ModelServer server) {
    return new PodDisruptionBudgetBuilder()
        .withMetadata(meta(server, server.getMetadata().getName(), "server"))
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(selector(server)).endSelector()
        .endSpec()
        .build();
  }

  /** A Prometheus Operator ServiceMonitor scraping the servers' /metrics every 15 s. */
  public static GenericKubernetesResource serviceMonitor(ModelServer server) {
    Map<String, Object> endpoint = new LinkedHashMap<>();
    endpoint.put("port", "http");
    endpoint.put("path", "/metrics");
    endpoint.put("interval", "15s");
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("selector", Map.of("matchLabels", selector(server)));
    spec.put("endpoints", List.of(endpoint));
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("monitoring.coreos.com/v1")
        .withKind("ServiceMonitor")
        .withMetadata(meta(server, server.getMetadata().getName(), "server"))
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  private static String schemaJson(ModelServer server) {
    try {
      return JSON.writeValueAsString(JSON.treeToValue(server.getSpec().getResponseSchema(), Object.class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** /dev/shm: as asked, else half the memory, else 1Gi. */
  static Quantity sharedMemory(ComputeResources res) {
    if (res.getSharedMemory() != null) {
      return res.getSharedMemory();
    }
    if (res.getMemory() != null) {
      BigDecimal half = Quantity.getAmountInBytes(res.getMemory()).divide(BigDecimal.valueOf(2));
      return new Quantity(half.toBigInteger().toString());
    }
    return new Quantity("1Gi");
  }

  private static Probe probe(String path, int periodSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet().withPath(path).withPort(new IntOrString("http")).endHttpGet()
        .withPeriodSeconds(periodSeconds)
        .withTimeoutSeconds(3)
        .withFailureThreshold(failureThreshold)
        .build();
  }

  private static ObjectMeta meta(ModelServer server, String name, String component) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(server.getMetadata().getNamespace())
        .withLabels(labels(server, component))
        .withOwnerReferences(owner(server))
        .build();
  }

  static OwnerReference owner(ModelServer server) {
    return Owners.controller(server);
  }

  static String hash(String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
