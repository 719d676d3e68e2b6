package dev.kamado.operator.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.training.TrainerContract;
import dev.kamado.api.v1alpha1.ComputeResources;
import dev.kamado.api.v1alpha1.Dataset;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobSpec;
import dev.kamado.api.v1alpha1.LoraSettings;
import dev.kamado.api.v1alpha1.Method;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.Output;
import dev.kamado.api.v1alpha1.Scheduling;
import dev.kamado.api.v1alpha1.TrainingMethod;
import dev.kamado.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TrainingJobResourcesTest {
  private static final OperatorConfig CONFIG = new OperatorConfig(Set.of(), 8080, false, null, "test",
      "registry.local/kamado-trainer:1", "registry.local/kamado-server:1", null, 4, Duration.ofSeconds(5));
  private static final ResolvedBaseModel BASE = new ResolvedBaseModel("pvc://models/base/qwen2", null, null);

  static FineTuneJob fineTuneJob() {
    FineTuneJob job = new FineTuneJob();
    job.getMetadata().setName("triage");
    job.getMetadata().setNamespace("ml");
    job.getMetadata().setUid("uid-1");
    FineTuneJobSpec spec = new FineTuneJobSpec();
    spec.setObjective(Objective.SFT);
    spec.setBaseModel(ModelSource.ofUri("pvc://models/base/qwen2"));
    Dataset dataset = new Dataset();
    dataset.setUri("pvc://datasets/triage/train.jsonl");
    dataset.setEvalUri("pvc://datasets/triage/eval.jsonl");
    dataset.setFormat(DatasetFormat.CHAT);
    spec.setDataset(dataset);
    Method method = new Method();
    method.setType(TrainingMethod.LORA);
    method.setLora(new LoraSettings());
    spec.setMethod(method);
    ComputeResources resources = new ComputeResources();
    resources.setGpus(2);
    resources.setGpuResourceName("nvidia.com/gpu");
    resources.setCpu(new Quantity("8"));
    resources.setMemory(new Quantity("64Gi"));
    spec.setResources(resources);
    Output output = new Output();
    output.setUri("pvc://models/triage/v1/");
    spec.setOutput(output);
    spec.setBackoffLimit(4);
    job.setSpec(spec);
    return job;
  }

  @Test
  void theJobRunsTheTrainerHardenedWithGpusAndTheFailurePolicy() {
    Job job = TrainingJobResources.job(fineTuneJob(), BASE, CONFIG, false);
    assertThat(job.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getController()).isTrue());
    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(4);
    assertThat(job.getSpec().getSuspend()).isFalse();
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getServiceAccountName()).isEqualTo("triage-trainer");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    Container trainer = pod.getContainers().get(0);
    assertThat(trainer.getImage()).isEqualTo("registry.local/kamado-trainer:1");
    assertThat(trainer.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(trainer.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(trainer.getResources().getLimits())
        .containsEntry("nvidia.com/gpu", new Quantity("2")).containsEntry("memory", new Quantity("64Gi"));
    assertThat(trainer.getResources().getRequests()).containsEntry("cpu", new Quantity("8"));

    var rules = job.getSpec().getPodFailurePolicy().getRules();
    assertThat(rules.get(0).getAction()).isEqualTo("FailJob");
    assertThat(rules.get(0).getOnExitCodes().getValues()).containsExactly(3);
    assertThat(rules.get(1).getAction()).isEqualTo("Ignore");
    assertThat(rules.get(1).getOnPodConditions().get(0).getType()).isEqualTo("DisruptionTarget");
  }

  @Test
  void eachClaimIsMountedOnceAndOnlyTheOutputClaimIsWritable() {
    Job job = TrainingJobResources.job(fineTuneJob(), BASE, CONFIG, false);
    var pod = job.getSpec().getTemplate().getSpec();
    Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, Function.identity()));
    assertThat(volumes.keySet()).containsExactlyInAnyOrder("config", "dshm", "tmp", "pvc-models", "pvc-datasets");
    assertThat(volumes.get("pvc-datasets").getPersistentVolumeClaim().getReadOnly()).isTrue();
    assertThat(volumes.get("pvc-models").getPersistentVolumeClaim().getReadOnly())
        .as("base model and output share the claim 'models', so it must be writable").isFalse();
    assertThat(volumes.get("dshm").getEmptyDir().getSizeLimit())
        .as("half the memory").isEqualTo(new Quantity(String.valueOf(32L * 1024 * 1024 * 1024)));
    Map<String, VolumeMount> mounts = pod.getContainers().get(0).getVolumeMounts().stream()
        .collect(Collectors.toMap(VolumeMount::getName, Function.identity()));
    assertThat(mounts.get("pvc-datasets").getMountPath()).isEqualTo("/kamado/volumes/datasets");
    assertThat(mounts.get("dshm").getMountPath()).isEqualTo("/dev/shm");
  }

  @Test
  void theTrainingConfigurationReachesThePodThroughItsOwnAnnotation() {
    FineTuneJob ftj = fineTuneJob();
    Job job = TrainingJobResources.job(ftj, BASE, CONFIG, false);
    var template = job.getSpec().getTemplate();
    assertThat(template.getMetadata().getAnnotations()).containsEntry(TrainerContract.CONFIG_ANNOTATION,
        TrainingJobResources.toJson(TrainingJobResources.trainingConfig(ftj, BASE)));
    Volume config = template.getSpec().getVolumes().stream().filter(v -> v.getName().equals("config")).findFirst()
        .orElseThrow();
    assertThat(config.getDownwardAPI().getItems()).singleElement().satisfies(item -> {
      assertThat(item.getPath()).isEqualTo(TrainerContract.CONFIG_KEY);
      assertThat(item.getFieldRef().getFieldPath())
          .isEqualTo("metadata.annotations['" + TrainerContract.CONFIG_ANNOTATION + "']");
    });
    VolumeMount mount = template.getSpec().getContainers().get(0).getVolumeMounts().stream()
        .filter(m -> m.getName().equals("config")).findFirst().orElseThrow();
    assertThat(mount.getMountPath()).isEqualTo(TrainerContract.CONFIG_DIR);
    assertThat(mount.getReadOnly()).isTrue();
  }

  @Test
  void aQueueNameLabelsTheJobForKueueAndTheSchedulingFieldsReachThePod() {
    FineTuneJob ftj = fineTuneJob();
    Scheduling scheduling = new Scheduling();
    scheduling.setQueueName("research");
    scheduling.setPriorityClassName("batch-low");
    scheduling.setNodeSelector(Map.of("pool", "a100"));
    ftj.getSpec().setScheduling(scheduling);
    Job job = TrainingJobResources.job(ftj, BASE, CONFIG, true);
    assertThat(job.getMetadata().getLabels()).containsEntry("kueue.x-k8s.io/queue-name", "research");
    assertThat(job.getSpec().getSuspend()).isTrue();
    assertThat(job.getSpec().getTemplate().getSpec().getPriorityClassName()).isEqualTo("batch-low");
    assertThat(job.getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("pool", "a100");
  }

  @Test
  void theTrainingConfigurationHasEveryPathAsMountedInThePod() throws Exception {
    String json = TrainingJobResources.toJson(TrainingJobResources.trainingConfig(fineTuneJob(),
        new ResolvedBaseModel("pvc://models/domain/v1", "sha256:abc", "domain-cpt")));
    JsonNode config = new ObjectMapper().readTree(json);
    assertThat(config.at("/baseModel/path").asText()).isEqualTo("/kamado/volumes/models/domain/v1");
    assertThat(config.at("/baseModel/digest").asText()).isEqualTo("sha256:abc");
    assertThat(config.at("/dataset/path").asText()).isEqualTo("/kamado/volumes/datasets/triage/train.jsonl");
    assertThat(config.at("/dataset/evalPath").asText()).isEqualTo("/kamado/volumes/datasets/triage/eval.jsonl");
    assertThat(config.at("/output/uri").asText()).isEqualTo("pvc://models/triage/v1");
    assertThat(config.at("/checkpoint/path").asText()).isEqualTo("/kamado/volumes/models/triage/v1/checkpoints");
    assertThat(config.at("/method").asText()).isEqualTo("lora");
  }

  @Test
  void theConfigHashChangesWithTheSpecAndOnlyThen() {
    FineTuneJob ftj = fineTuneJob();
    String json = TrainingJobResources.toJson(TrainingJobResources.trainingConfig(ftj, BASE));
    String hash = TrainingJobResources.configHash(json, TrainingJobResources.job(ftj, BASE, CONFIG, false));
    assertThat(TrainingJobResources.configHash(json, TrainingJobResources.job(ftj, BASE, CONFIG, false)))
        .isEqualTo(hash);
    ftj.getSpec().getResources().setGpus(4);
    assertThat(TrainingJobResources.configHash(json, TrainingJobResources.job(ftj, BASE, CONFIG, false)))
        .isNotEqualTo(hash);
  }

  @Test
  void theTrainerMayWriteOnlyItsOwnProgressConfigMap() {
    Role role = TrainingJobResources.progressRole(fineTuneJob());
    assertThat(role.getRules()).singleElement().satisfies(rule -> {
      assertThat(rule.getResources()).containsExactly("configmaps");
      assertThat(rule.getResourceNames()).containsExactly("triage-progress");
      assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "update", "patch");
    });
  }
}
