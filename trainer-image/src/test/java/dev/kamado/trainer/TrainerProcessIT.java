package dev.kamado.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.training.ProgressReport;
import dev.kamado.api.training.TrainerContract;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithApiServer;
import dev.kamado.trainer.progress.ConfigMapProgressIT;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The jar as the FineTuneJob pod runs it: configuration from a training.json file (as the operator writes it), the
 * in-cluster environment pointing at a real API server, progress in the ConfigMap, the result in the termination
 * log and kamado-manifest.json; and invalid input exiting with code 3.
 */
@WithApiServer
class TrainerProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void helpExitsZero() throws Exception {
    Path log = Files.createDirectories(Path.of("target", "process-it")).resolve("help.log");
    assertThat(TrainerJar.run(log, Map.of(), "--help")).isZero();
    assertThat(Files.readString(log)).contains("train", "init-model", "merge", "Exit codes");
  }

  @Test
  void podStyleRunReportsProgressToTheConfigMapAndWritesTheResult(ControlPlane cp) throws Exception {
    Path work = Files.createDirectories(Path.of("target", "process-it").toAbsolutePath());
    Path model = TestData.tinyModel(work);
    Path data = TestData.chatJsonl(work.resolve("chat.jsonl"), 40);
    Path out = work.resolve("out");
    ResumeAfterKillIT.deleteTree(out);
    ConfigMapProgressIT.serviceAccountWithTheOperatorsRbac(cp);
    Path accountDir = ConfigMapProgressIT.accountDir;
    String namespace = Files.readString(accountDir.resolve("namespace"));
    Path config = work.resolve("training.json");
    Files.writeString(config, """
        {"version": 1, "name": "triage", "objective": "sft",
         "baseModel": {"uri": "pvc://models/tiny", "path": "%s"},
         "dataset": {"uri": "pvc://data/chat.jsonl", "path": "%s", "format": "chat", "evalFraction": 0.1,
                     "maxSequenceLength": 256, "invalidExamples": "fail"},
         "method": "lora", "lora": {"rank": 4, "alpha": 8, "dropout": 0.0, "targetModules": ["q_proj", "v_proj"],
                                    "merge": true},
         "hyperParameters": {"epochs": 1, "batchSize": 4, "learningRate": 0.001, "seed": 3},
         "checkpoint": {"path": "%s/checkpoints", "everySteps": 4, "keep": 2},
         "output": {"uri": "pvc://models/triage-v1", "path": "%s"}}
        """.formatted(model, data, out, out));
    URI server = ConfigMapProgressIT.server;
    Path termination = work.resolve("termination-log");
    Files.deleteIfExists(termination);
    Path log = work.resolve("pod.log");
    int rc = TrainerJar.run(log, Map.of("KUBERNETES_SERVICE_HOST", server.getHost(), "KUBERNETES_SERVICE_PORT",
        "" + server.getPort(), TrainerContract.ENV_PROGRESS_CONFIGMAP, "triage-progress",
        TrainerContract.ENV_NAMESPACE, namespace, "KAMADO_SERVICE_ACCOUNT_DIR", accountDir.toString()),
        "--config", config.toString(), "--termination-log", termination.toString());
    assertThat(rc).as("exit code; log:\n%s", Files.readString(log)).isZero();

    String progress = cp.client().configMaps().inNamespace(namespace).withName("triage-progress").get().getData()
        .get(TrainerContract.PROGRESS_KEY);
    ProgressReport report = JSON.readValue(progress, ProgressReport.class);
    assertThat(report.step()).isEqualTo(report.totalSteps()).isEqualTo(9);
    assertThat(report.evalLoss()).isNotNull();
    assertThat(report.checkpoint().path()).isEqualTo("checkpoints/step-00000009");

    JsonNode result = JSON.readTree(termination.toFile());
    assertThat(result.at("/model/uri").asText()).isEqualTo("pvc://models/triage-v1");
    assertThat(result.at("/model/baseModelUri").asText()).isEqualTo("pvc://models/tiny");
    assertThat(result.at("/model/digest").asText()).startsWith("sha256:").isEqualTo(
        Digests.model(out));
    assertThat(result.at("/model/datasetDigest").asText()).isEqualTo("sha256:" + Digests.fileHex(data));
    assertThat(result.at("/model/evalMetrics/eval_loss").asDouble()).isPositive();
    JsonNode manifest = JSON.readTree(out.resolve("kamado-manifest.json").toFile());
    assertThat(manifest.get("model")).isEqualTo(result.get("model"));
    assertThat(manifest.at("/run/layout").asText()).isEqualTo("peft-adapter+merged");
    assertThat(out.resolve("adapter_config.json")).exists();
    assertThat(out.resolve("merged/model.safetensors")).exists();
    assertThat(out.resolve("merged/tokenizer.json")).exists();
  }

  @Test
  void invalidDatasetExitsWithCodeThreeAndNamesTheLine() throws Exception {
    Path work = Files.createDirectories(Path.of("target", "process-it").toAbsolutePath());
    Path model = TestData.tinyModel(work);
    Path data = Files.writeString(work.resolve("broken.jsonl"),
        "{\"input\":\"a\",\"output\":\"b\"}\n{\"input\":\"c\",\"output\":7}\n");
    Path termination = work.resolve("termination-invalid");
    Path log = work.resolve("invalid.log");
    int rc = TrainerJar.run(log, Map.of(), "--base-model", model.toString(), "--dataset", data.toString(),
        "--format", "completion", "--output", work.resolve("never").toString(), "--termination-log",
        termination.toString());
    assertThat(rc).isEqualTo(TrainerContract.EXIT_INVALID_INPUT);
    assertThat(Files.readString(log)).contains("error: 1 invalid example: broken.jsonl line 2: field \"output\" must "
        + "be a string, got number").doesNotContain("\tat ");
    assertThat(JSON.readTree(termination.toFile()).get("error").asText()).contains("broken.jsonl line 2");
    assertThat(work.resolve("never").resolve("kamado-manifest.json")).doesNotExist();
  }
}
