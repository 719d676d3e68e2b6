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
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
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
    podAnnotations.put(TrainerContract.CONFIG_ANNOTATION, toJson(trainingConfig(job, base)));

    Volumes volumes = new Volumes();
    volumes.claim(StorageUri.parse(base.uri()), false);
    volumes.claim(StorageUri.parse(spec.getDataset().getUri()), false);
    if (spec.getDataset().getEvalUri() != null) {
      volumes.claim(StorageUri.parse(spec.getDataset().getEvalUri()), false);
    }
    volumes.claim(StorageUri.parse(spec.getOutput().getUri()), true);

    List<Volume> podVolumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    podVolumes.add(new VolumeBuilder().withName("config").withNewDownwardAPI()
        .addNewItem().withPath(CONFIG_KEY).withNewFieldRef()
        .withFieldPath("metadata.annotations['" + TrainerContract.CONFIG_ANNOTATION + "']").endFieldRef().endItem()
        .endDownwardAPI().build());
    mounts.add(new VolumeMountBuilder().withName("config").withMountPath(CONFIG_DIR).withReadOnly(true).build());
    podVolumes.add(new VolumeBuilder().withName("dshm").withNewEmptyDir().withMedium("Memory")
        .withSizeLimit(sharedMemory(res)).endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("dshm").withMountPath("/dev/shm").build());
    podVolumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("4Gi"))
        .endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    volumes.claims.forEach((claim, writable) -> {
      String volume = "pvc-" + claim;
      podVolumes.add(new VolumeBuilder().withName(volume).withNewPersistentVolumeClaim(claim, !writable).build());
      mounts.add(new VolumeMountBuilder().withName(volume).withMountPath(TrainerContract.VOLUMES_DIR + "/" + claim)
          .withReadOnly(!writable).build());
    });


    Container trainer = new ContainerBuilder()
        .withName(CONTAINER)
        .withImage(spec.getImage() != null ? spec.getImage() : config.trainerImage())
        .withArgs("--config", CONFIG_DIR + "/" + CONFIG_KEY)
        .withEnv(env(job))
        .withResources(ContainerResources.of(res))
        .withVolumeMounts(mounts)
        .withTerminationMessagePath(TrainerContract.TERMINATION_LOG)
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withAllowPrivilegeEscalation(false)
        .withReadOnlyRootFilesystem(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities()
        .endSecurityContext()
        .build();

    return new JobBuilder()
        .withMetadata(meta(job, name, "training", Map.of()))
        .editMetadata().withLabels(jobLabels).endMetadata()
        .withNewSpec()
        .withSuspend(suspend)
        .withBackoffLimit(spec.getBackoffLimit() == null ? 3 : spec.getBackoffLimit())
        .withActiveDeadlineSeconds(spec.getActiveDeadlineSeconds())
        .withCompletions(1)
        .withParallelism(1)
        .withNewPodFailurePolicy()
        .withRules(
            // Unusable input never gets better by retrying: fail the job at once.
            new PodFailurePolicyRuleBuilder().withAction("FailJob")
                .withNewOnExitCodes().withContainerName(CONTAINER).withOperator("In")
                .withValues(TrainerContract.EXIT_INVALID_INPUT).endOnExitCodes().build(),
            // Preemption, node drain, eviction: not the trainer's fault, so not counted against backoffLimit.
            new PodFailurePolicyRuleBuilder().withAction("Ignore")
                .addNewOnPodCondition().withType("DisruptionTarget").withStatus("True").endOnPodCondition()
                .build())
        .endPodFailurePolicy()
        .withNewTemplate()
        .withNewMetadata().withLabels(podLabels).withAnnotations(podAnnotations).endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withServiceAccountName(serviceAccountName(job))
        .withAutomountServiceAccountToken(true)
        .withEnableServiceLinks(false)
        .withNodeSelector(scheduling.getNodeSelector())
        .withTolerations(scheduling.getTolerations())
        .withAffinity(scheduling.getAffinity())
        .withPriorityClassName(scheduling.getPriorityClassName())
        .withSecurityContext(ContainerResources.nonRootPod(TRAINER_UID))
        .withContainers(trainer)
        .withVolumes(podVolumes)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static List<EnvVar> env(FineTuneJob job) {
    return List.of(
        new EnvVarBuilder().withName(TrainerContract.ENV_CONFIG).withValue(CONFIG_DIR + "/" + CONFIG_KEY).build(),
        new EnvVarBuilder().withName(TrainerContract.ENV_PROGRESS_CONFIGMAP).withValue(progressConfigMapName(job))
            .build(),
        new EnvVarBuilder().withName(TrainerContract.ENV_NAMESPACE).withNewValueFrom().withNewFieldRef()
            .withFieldPath("metadata.namespace").endFieldRef().endValueFrom().build(),
        new EnvVarBuilder().withName(TrainerContract.ENV_POD_NAME).withNewValueFrom().withNewFieldRef()
            .withFieldPath("metadata.name").endFieldRef().endValueFrom().build(),
        new EnvVarBuilder().withName("HOME").withValue("/tmp").build());
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
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(job.getMetadata().getNamespace())
        .withLabels(KamadoLabels.forFineTuneJob(job.getMetadata().getName(), component))
        .withAnnotations(annotations.isEmpty() ? null : new LinkedHashMap<>(annotations))
        .withOwnerReferences(owner(job))
        .build();
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
