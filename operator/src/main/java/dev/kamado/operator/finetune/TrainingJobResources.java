package dev.kamado.operator.finetune;

import static dev.kamado.api.training.TrainerContract.CONFIG_DIR;
import static dev.kamado.api.training.TrainerContract.CONFIG_KEY;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kamado.api.training.TrainerContract;
import dev.kamado.api.training.TrainingConfig;
import dev.kamado.api.v1alpha1.ComputeResources;
import dev.kamado.api.v1alpha1.Dataset;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobSpec;
import dev.kamado.api.v1alpha1.PodMetadata;
import dev.kamado.api.v1alpha1.Scheduling;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.operator.model.ContainerResources;
import dev.kamado.operator.model.KamadoLabels;
import dev.kamado.operator.model.Owners;
import dev.kamado.operator.model.StorageUri;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeSource;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimVolumeSource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnExitCodesRequirement;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyOnPodConditionsPattern;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects a FineTuneJob turns into, each a pure function of the resource, the resolved base model and the
 * operator's configuration: the progress ConfigMap with the service account and RBAC that let only this job's trainer
 * write it, and the batch/v1 Job that runs the trainer. The resolved training configuration travels in the pod
 * template's {@value TrainerContract#CONFIG_ANNOTATION} annotation and reaches the trainer as a file through a
 * downward-API volume: one object less to write per job, and it can never disagree with the pod that reads it.
 */
public final class TrainingJobResources {
  static final String CONTAINER = "trainer";
  static final int TRAINER_UID = 65532;
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private TrainingJobResources() {}

  public static String jobName(FineTuneJob job) {
    return job.getMetadata().getName();
  }

  public static String progressConfigMapName(FineTuneJob job) {
    return job.getMetadata().getName() + "-progress";
  }

  public static String serviceAccountName(FineTuneJob job) {
    return job.getMetadata().getName() + "-trainer";
  }

  /** The resolved configuration the trainer reads. */
  public static TrainingConfig trainingConfig(FineTuneJob job, ResolvedBaseModel base) {
    FineTuneJobSpec spec = job.getSpec();
    StorageUri baseUri = StorageUri.parse(base.uri());
    Dataset ds = spec.getDataset();
    StorageUri data = StorageUri.parse(ds.getUri());
    StorageUri eval = ds.getEvalUri() == null ? null : StorageUri.parse(ds.getEvalUri());
    StorageUri output = StorageUri.parse(spec.getOutput().getUri());
    var checkpoint = spec.getCheckpoint();
    return new TrainingConfig(
        TrainingConfig.VERSION,
        job.getMetadata().getName(),
        spec.getObjective(),
        new TrainingConfig.ModelLocation(baseUri.uri(), baseUri.mountedPath(), base.digest()),
        new TrainingConfig.DatasetConfig(
            data.uri(), data.mountedPath(), ds.getFormat(),
            eval == null ? null : eval.uri(), eval == null ? null : eval.mountedPath(),
            ds.getEvalFraction(), ds.getMaxSequenceLength(), ds.getInvalidExamples(),
            ds.getPacking(), ds.getGroupByLength()),
        spec.getTeacher(),
        spec.getMethod().getType(),
        spec.getMethod().getLora(),
        spec.getHyperParameters(),
        new TrainingConfig.CheckpointConfig(
            output.resolve("checkpoints").mountedPath(),
            checkpoint == null || checkpoint.getEverySteps() == null ? 500 : checkpoint.getEverySteps(),
            checkpoint == null || checkpoint.getKeep() == null ? 2 : checkpoint.getKeep()),
        new TrainingConfig.ModelLocation(output.uri(), output.mountedPath(), null));
  }

  public static String toJson(TrainingConfig config) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the training configuration", e);
    }
  }

  /** sha256 of the configuration and everything else that shapes the pod, so a change is detectable. */
  public static String configHash(String configJson, Job job) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(configJson.getBytes(StandardCharsets.UTF_8));
      sha.update(JSON.writeValueAsBytes(job.getSpec().getTemplate()));
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException | JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Created empty; the trainer fills it. */
  public static ConfigMap progressConfigMap(FineTuneJob job) {
    return new ConfigMapBuilder().withMetadata(meta(job, progressConfigMapName(job), "progress", Map.of())).build();
  }

  public static ServiceAccount serviceAccount(FineTuneJob job) {
    return new ServiceAccountBuilder()
        .withMetadata(meta(job, serviceAccountName(job), "trainer", Map.of()))
        .withAutomountServiceAccountToken(false)
        .build();
  }

  /** The trainer may read and write its own progress ConfigMap, and nothing else. */
  public static Role progressRole(FineTuneJob job) {
    return new RoleBuilder()
        .withMetadata(meta(job, serviceAccountName(job), "trainer", Map.of()))
        .addToRules(new PolicyRuleBuilder()
            .withApiGroups("")
            .withResources("configmaps")
            .withResourceNames(progressConfigMapName(job))
            .withVerbs("get", "update", "patch")
            .build())
        .build();
  }

  public static RoleBinding progressRoleBinding(FineTuneJob job) {
    return new RoleBindingBuilder()
        .withMetadata(meta(job, serviceAccountName(job), "trainer", Map.of()))
        .withNewRoleRef("rbac.authorization.k8s.io", "Role", serviceAccountName(job))
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(serviceAccountName(job))
        .withNamespace(job.getMetadata().getNamespace())
        .endSubject()
        .build();
  }

  /**
   * The batch/v1 Job. {@code suspend} is the Job's initial suspension: true when the user suspended the
   * FineTuneJob, or when a Kueue queue is named (Kueue un-suspends it on admission).
   */
  public static Job job(FineTuneJob job, ResolvedBaseModel base, OperatorConfig config, boolean suspend) {
    return job(job, base, config, suspend, toJson(trainingConfig(job, base)));
  }

  /**
   * The batch/v1 Job, given the training configuration already serialised by {@link #toJson}. Built with the model
   * classes' setters rather than the nested fluent builders, which copy the whole subtree at every {@code endX()}:
   * the same object for a fraction of the CPU (building it was about a sixth of the operator's CPU per FineTuneJob).
   */
  public static Job job(FineTuneJob job, ResolvedBaseModel base, OperatorConfig config, boolean suspend,
      String configJson) {
    FineTuneJobSpec spec = job.getSpec();
    String name = jobName(job);
    ComputeResources res = spec.getResources() == null ? new ComputeResources() : spec.getResources();
    Scheduling scheduling = spec.getScheduling() == null ? new Scheduling() : spec.getScheduling();
    PodMetadata podMeta = spec.getPodMetadata() == null ? new PodMetadata() : spec.getPodMetadata();

    Map<String, String> labels = KamadoLabels.forFineTuneJob(name, "training");
    Map<String, String> jobLabels = new LinkedHashMap<>(labels);
    if (scheduling.getQueueName() != null) {
      jobLabels.put(KamadoLabels.KUEUE_QUEUE, scheduling.getQueueName());
    }
    Map<String, String> podLabels = new LinkedHashMap<>();
    if (podMeta.getLabels() != null) {
      podLabels.putAll(podMeta.getLabels());
    }
    podLabels.putAll(labels);
    Map<String, String> podAnnotations = new LinkedHashMap<>();
    if (podMeta.getAnnotations() != null) {
      podAnnotations.putAll(podMeta.getAnnotations());
    }
    podAnnotations.put(TrainerContract.CONFIG_ANNOTATION, configJson);

    Volumes volumes = new Volumes();
    volumes.claim(StorageUri.parse(base.uri()), false);
    volumes.claim(StorageUri.parse(spec.getDataset().getUri()), false);
    if (spec.getDataset().getEvalUri() != null) {
      volumes.claim(StorageUri.parse(spec.getDataset().getEvalUri()), false);
    }
    volumes.claim(StorageUri.parse(spec.getOutput().getUri()), true);

    List<Volume> podVolumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    Volume configVolume = new Volume();
    configVolume.setName("config");
    configVolume.setDownwardAPI(new DownwardAPIVolumeSource(null, List.of(new DownwardAPIVolumeFile(
        new ObjectFieldSelector(null, "metadata.annotations['" + TrainerContract.CONFIG_ANNOTATION + "']"),
        null, CONFIG_KEY, null))));
    podVolumes.add(configVolume);
    mounts.add(mount("config", CONFIG_DIR, true));
    Volume shm = new Volume();
    shm.setName("dshm");
    shm.setEmptyDir(new EmptyDirVolumeSource("Memory", sharedMemory(res)));
    podVolumes.add(shm);
    mounts.add(mount("dshm", "/dev/shm", null));
    Volume tmp = new Volume();
    tmp.setName("tmp");
    tmp.setEmptyDir(new EmptyDirVolumeSource(null, new Quantity("4Gi")));
    podVolumes.add(tmp);
    mounts.add(mount("tmp", "/tmp", null));
    volumes.claims.forEach((claim, writable) -> {
      String volume = "pvc-" + claim;
      Volume pvc = new Volume();
      pvc.setName(volume);
      pvc.setPersistentVolumeClaim(new PersistentVolumeClaimVolumeSource(claim, !writable));
      podVolumes.add(pvc);
      mounts.add(mount(volume, TrainerContract.VOLUMES_DIR + "/" + claim, !writable));
    });

    SecurityContext hardened = new SecurityContext();
    hardened.setRunAsNonRoot(true);
    hardened.setAllowPrivilegeEscalation(false);
    hardened.setReadOnlyRootFilesystem(true);
    Capabilities capabilities = new Capabilities();
    capabilities.setDrop(new ArrayList<>(List.of("ALL")));
    hardened.setCapabilities(capabilities);

    Container trainer = new Container();
    trainer.setName(CONTAINER);
    trainer.setImage(spec.getImage() != null ? spec.getImage() : config.trainerImage());
    trainer.setArgs(new ArrayList<>(List.of("--config", CONFIG_DIR + "/" + CONFIG_KEY)));
    trainer.setEnv(env(job));
    trainer.setResources(ContainerResources.of(res));
    trainer.setVolumeMounts(mounts);
    trainer.setTerminationMessagePath(TrainerContract.TERMINATION_LOG);
    trainer.setTerminationMessagePolicy("FallbackToLogsOnError");
    trainer.setSecurityContext(hardened);

    PodSpec pod = new PodSpec();
    pod.setRestartPolicy("Never");
    pod.setServiceAccountName(serviceAccountName(job));
    pod.setAutomountServiceAccountToken(true);
    pod.setEnableServiceLinks(false);
    pod.setNodeSelector(scheduling.getNodeSelector());
    pod.setTolerations(scheduling.getTolerations());
    pod.setAffinity(scheduling.getAffinity());
    pod.setPriorityClassName(scheduling.getPriorityClassName());
    pod.setSecurityContext(ContainerResources.nonRootPod(TRAINER_UID));
    pod.setContainers(new ArrayList<>(List.of(trainer)));
    pod.setVolumes(podVolumes);

    ObjectMeta templateMeta = new ObjectMeta();
    templateMeta.setLabels(podLabels);
    templateMeta.setAnnotations(podAnnotations);

    // Unusable input never gets better by retrying: fail the job at once.
    PodFailurePolicyRule failOnInvalidInput = new PodFailurePolicyRule();
    failOnInvalidInput.setAction("FailJob");
    failOnInvalidInput.setOnExitCodes(new PodFailurePolicyOnExitCodesRequirement(CONTAINER, "In",
        new ArrayList<>(List.of(TrainerContract.EXIT_INVALID_INPUT))));
    // Preemption, node drain, eviction: not the trainer's fault, so not counted against backoffLimit.
    PodFailurePolicyRule ignoreDisruption = new PodFailurePolicyRule();
    ignoreDisruption.setAction("Ignore");
    ignoreDisruption.setOnPodConditions(new ArrayList<>(List.of(
        new PodFailurePolicyOnPodConditionsPattern("True", "DisruptionTarget"))));

    JobSpec jobSpec = new JobSpec();
    jobSpec.setSuspend(suspend);
    jobSpec.setBackoffLimit(spec.getBackoffLimit() == null ? 3 : spec.getBackoffLimit());
    jobSpec.setActiveDeadlineSeconds(spec.getActiveDeadlineSeconds());
    jobSpec.setCompletions(1);
    jobSpec.setParallelism(1);
    jobSpec.setPodFailurePolicy(new PodFailurePolicy(new ArrayList<>(List.of(failOnInvalidInput, ignoreDisruption))));
    jobSpec.setTemplate(new PodTemplateSpec(templateMeta, pod));

    ObjectMeta jobMeta = meta(job, name, "training", Map.of());
    jobMeta.setLabels(jobLabels);
    Job result = new Job();
    result.setMetadata(jobMeta);
    result.setSpec(jobSpec);
    return result;
  }

  private static VolumeMount mount(String volume, String path, Boolean readOnly) {
    VolumeMount mount = new VolumeMount();
    mount.setName(volume);
    mount.setMountPath(path);
    mount.setReadOnly(readOnly);
    return mount;
  }

  private static List<EnvVar> env(FineTuneJob job) {
    return new ArrayList<>(List.of(
        new EnvVar(TrainerContract.ENV_CONFIG, CONFIG_DIR + "/" + CONFIG_KEY, null),
        new EnvVar(TrainerContract.ENV_PROGRESS_CONFIGMAP, progressConfigMapName(job), null),
        new EnvVar(TrainerContract.ENV_NAMESPACE, null, fieldRef("metadata.namespace")),
        new EnvVar(TrainerContract.ENV_POD_NAME, null, fieldRef("metadata.name")),
        new EnvVar("HOME", "/tmp", null)));
  }

  private static EnvVarSource fieldRef(String path) {
    EnvVarSource source = new EnvVarSource();
    source.setFieldRef(new ObjectFieldSelector(null, path));
    return source;
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

  private static ObjectMeta meta(FineTuneJob job, String name, String component, Map<String, String> annotations) {
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    meta.setNamespace(job.getMetadata().getNamespace());
    meta.setLabels(KamadoLabels.forFineTuneJob(job.getMetadata().getName(), component));
    meta.setAnnotations(annotations.isEmpty() ? null : new LinkedHashMap<>(annotations));
    meta.setOwnerReferences(new ArrayList<>(List.of(owner(job))));
    return meta;
  }

  static OwnerReference owner(FineTuneJob job) {
    return Owners.controller(job);
  }

  /** Claims to mount, each once; writable wins when one claim holds both inputs and the output. */
  private static final class Volumes {
    private final Map<String, Boolean> claims = new LinkedHashMap<>();

    void claim(StorageUri uri, boolean writable) {
      claims.merge(uri.claim(), writable, Boolean::logicalOr);
    }
  }
}
