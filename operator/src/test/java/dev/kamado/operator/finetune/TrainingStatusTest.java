package dev.kamado.operator.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.api.v1alpha1.ModelVersion;
import dev.kamado.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingStatusTest {
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static final BaseModelResolution RESOLVED =
      new BaseModelResolution.Resolved(new ResolvedBaseModel("pvc://models/base", null, null));

  private static FineTuneJob ftj() {
    FineTuneJob ftj = TrainingJobResourcesTest.fineTuneJob();
    ftj.getMetadata().setGeneration(1L);
    return ftj;
  }

  private static Job job(boolean suspended, String conditionType, String reason, int failed) {
    JobBuilder b = new JobBuilder().withNewMetadata().withName("triage").endMetadata()
        .withNewSpec().withSuspend(suspended).endSpec()
        .withNewStatus().withFailed(failed).endStatus();
    if (conditionType != null) {
      b.editStatus().addNewCondition().withType(conditionType).withStatus("True").withReason(reason)
          .withMessage("Job has reached the specified backoff limit").endCondition().endStatus();
    }
    return b.build();
  }

  private static Pod pod(String phase, int exitCode, String message) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName("triage-abc").endMetadata()
        .withNewSpec().withNodeName("gpu-1").endSpec()
        .withNewStatus().withPhase(phase).withStartTime("2026-11-28T11:00:00Z").endStatus();
    if (!phase.equals("Running") && !phase.equals("Pending")) {
      b.editStatus().addNewContainerStatus().withName("trainer").withNewState().withNewTerminated()
          .withExitCode(exitCode).withMessage(message).withFinishedAt("2026-11-28T11:59:00Z")
          .endTerminated().endState().endContainerStatus().endStatus();
    }
    return b.build();
  }

  private static ObservedTraining observed(BaseModelResolution base, Job job, List<Pod> pods) {
    return new ObservedTraining(base, job, pods, null, false, false, NOW);
  }

  @Test
  void aRunningPodMakesTheJobRunningAndRecordsTheStart() {
    FineTuneJob ftj = ftj();
    var events = TrainingStatus.update(ftj, observed(RESOLVED, job(false, null, null, 0),
        List.of(pod("Running", 0, null))));
    assertThat(ftj.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Running);
    assertThat(ftj.getStatus().getStartTime()).isEqualTo("2026-11-28T11:00:00Z");
    assertThat(events).extracting(TrainingStatus.Event::reason).containsExactly("Running");
    assertThat(TrainingStatus.update(ftj, observed(RESOLVED, job(false, null, null, 0),
        List.of(pod("Running", 0, null))))).as("no transition, no event").isEmpty();
  }

  @Test
  void successReadsTheModelFromTheTerminationMessage() {
    FineTuneJob ftj = ftj();
    String result = "{\"model\":{\"uri\":\"pvc://models/triage/v1\",\"digest\":\"sha256:aa\"}}";
    TrainingStatus.update(ftj, observed(RESOLVED, job(false, "Complete", null, 0),
        List.of(pod("Succeeded", 0, result))));
    assertThat(ftj.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Succeeded);
    assertThat(ftj.getStatus().getModel().getDigest()).isEqualTo("sha256:aa");
  }

  @Test
  void exitCodeThreeIsReportedAsInvalidInputWithTheTrainersReason() {
    FineTuneJob ftj = ftj();
    String result = "{\"error\":\"train.jsonl line 12: missing field \\\"messages\\\"\"}";
    var events = TrainingStatus.update(ftj, observed(RESOLVED, job(false, "Failed", "PodFailurePolicy", 1),
        List.of(pod("Failed", 3, result))));
    assertThat(ftj.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Failed);
    var failed = Conditions.find(ftj.getStatus().getConditions(), "Failed").orElseThrow();
    assertThat(failed.getReason()).isEqualTo("InvalidInput");
    assertThat(failed.getMessage()).contains("trainer: train.jsonl line 12: missing field \"messages\"");
    assertThat(events).singleElement().satisfies(e -> assertThat(e.type()).isEqualTo("Warning"));
  }

  @Test
  void terminalPhasesStayTerminalWhenTheJobDisappears() {
    FineTuneJob ftj = ftj();
    ftj.setStatus(new FineTuneJobStatus());
    ftj.getStatus().setPhase(FineTuneJobPhase.Succeeded);
    ftj.getStatus().setModel(new ModelVersion());
    TrainingStatus.update(ftj, observed(RESOLVED, null, List.of()));
    assertThat(ftj.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Succeeded);
  }

  @Test
  void waitingForABaseJobIsPendingWithTheReasonAndAFailedBaseFailsThisOne() {
    FineTuneJob ftj = ftj();
    ftj.getSpec().setBaseModel(ModelSource.ofFineTuneJob("cpt"));
    FineTuneJob base = ftj();
    base.getMetadata().setName("cpt");
    base.setStatus(new FineTuneJobStatus());
    base.getStatus().setPhase(FineTuneJobPhase.Running);

    TrainingStatus.update(ftj, observed(BaseModelResolution.resolve(ftj.getSpec().getBaseModel(), base), null, List.of()));
    assertThat(ftj.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Pending);
    assertThat(Conditions.find(ftj.getStatus().getConditions(), "BaseModelResolved").orElseThrow().getMessage())
        .isEqualTo("waiting for FineTuneJob cpt to succeed (it is Running)");

    base.getStatus().setPhase(FineTuneJobPhase.Failed);
    TrainingStatus.update(ftj, observed(BaseModelResolution.resolve(ftj.getSpec().getBaseModel(), base), null, List.of()));
    assertThat(ftj.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Failed);
    assertThat(Conditions.find(ftj.getStatus().getConditions(), "Failed").orElseThrow().getReason())
        .isEqualTo("BaseModelFailed");
  }

  @Test
  void aSuspendedJobIsQueuedUnderKueueAndSuspendedWhenTheUserAsked() {
    FineTuneJob queued = ftj();
    TrainingStatus.update(queued, new ObservedTraining(RESOLVED, job(true, null, null, 0), List.of(), null, false,
        true, NOW));
    assertThat(queued.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Queued);
    FineTuneJob paused = ftj();
    TrainingStatus.update(paused, new ObservedTraining(RESOLVED, job(true, null, null, 0), List.of(), null, true,
        false, NOW));
    assertThat(paused.getStatus().getPhase()).isEqualTo(FineTuneJobPhase.Suspended);
  }

  @Test
  void progressAndTheLatestCheckpointComeFromTheProgressReport() {
    FineTuneJob ftj = ftj();
    var progress = new ConfigMapBuilder().addToData("progress.json",
        "{\"step\":30,\"totalSteps\":120,\"loss\":2.5,\"checkpoint\":{\"step\":25,\"path\":\"checkpoints/step-25\"}}")
        .build();
    TrainingStatus.update(ftj, new ObservedTraining(RESOLVED, job(false, null, null, 0),
        List.of(pod("Running", 0, null)), progress, false, false, NOW));
    assertThat(ftj.getStatus().getProgress().getPercent()).isEqualTo(25);
    assertThat(ftj.getStatus().getLatestCheckpoint().getUri()).isEqualTo("pvc://models/triage/v1/checkpoints/step-25");

    var garbage = new ConfigMapBuilder().addToData("progress.json", "{not json").build();
    TrainingStatus.update(ftj, new ObservedTraining(RESOLVED, job(false, null, null, 0),
        List.of(pod("Running", 0, null)), garbage, false, false, NOW));
    assertThat(ftj.getStatus().getProgress().getStep()).as("a broken report keeps the last good one").isEqualTo(30);
  }
}
