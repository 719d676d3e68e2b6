package dev.kamado.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.model.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Exact resume with a real process kill: the jar is started, SIGKILLed (Process.destroyForcibly) after it published
 * a checkpoint and while it is still training, restarted with the same command, and must end with the same weights
 * (within 1e-6) as an uninterrupted run. Full fine-tuning with packing and gradient accumulation, where the runs
 * alternate between one and two worker threads (the weights and the evaluation loss must not depend on it), and LoRA
 * with dropout and gradient accumulation.
 */
class ResumeAfterKillIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path work;
  private static Path model;

  @BeforeAll
  static void model() throws Exception {
    work = Files.createDirectories(Path.of("target", "resume-it").toAbsolutePath());
    model = TestData.tinyModel(work);
  }

  private static List<String> args(Path out, Path data, String format, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--base-model", model.toString(), "--dataset", data.toString(),
        "--format", format, "--output", out.toString(), "--checkpoint-every", "3", "--checkpoint-keep", "2",
        "--log-every", "5", "--seed", "11", "--lr", "2e-3", "--warmup-steps", "3", "--weight-decay", "0.01"));
    a.addAll(List.of(extra));
    return a;
  }

  @Test
  void fullFineTuningResumesExactlyAfterSigkill() throws Exception {
    Path data = TestData.textJsonl(work.resolve("text.jsonl"), 160);
    String[] extra = {"--method", "full", "--max-length", "64", "--batch-size", "2", "--grad-accum", "3",
        "--epochs", "2", "--max-steps", "45", "--eval-fraction", "0.1", "--eval-every", "10"};
    check("full", data, "text", extra, "model.safetensors", true);
  }

  @Test
  void loraWithDropoutAndAccumulationResumesExactlyAfterSigkill() throws Exception {
    Path data = TestData.chatJsonl(work.resolve("chat.jsonl"), 150);
    String[] extra = {"--method", "lora", "--lora-rank", "4", "--lora-dropout", "0.1", "--batch-size", "4",
        "--grad-accum", "2", "--epochs", "1", "--eval-fraction", "0.1"};
    check("lora", data, "chat", extra, "adapter_model.safetensors", false);
  }

  /**
   * @param alternateWorkers run the uninterrupted runs with 1 and 2 workers, the killed run with 2 and its resumption
   *     with 1 (otherwise every run uses the default)
   */
  private void check(String name, Path data, String format, String[] extra, String weights, boolean alternateWorkers)
      throws Exception {
    Path straight = work.resolve(name + "-straight");
    Path killed = work.resolve(name + "-killed");
    deleteTree(straight);
    deleteTree(killed);
    Path again = work.resolve(name + "-again");
    deleteTree(again);
    TrainerJar.runOk(work.resolve(name + "-straight.log"),
        args(straight, data, format, workers(extra, alternateWorkers, 1)).toArray(String[]::new));
    // two uninterrupted runs must agree bitwise, so that non-determinism shows up as such, not as a resume failure
    TrainerJar.runOk(work.resolve(name + "-again.log"),
        args(again, data, format, workers(extra, alternateWorkers, 2)).toArray(String[]::new));
    assertThat(maxDifference(straight.resolve(weights), again.resolve(weights)))
        .as("largest weight difference between two uninterrupted runs").isEqualTo(0.0);
    JsonNode straightManifest = JSON.readTree(straight.resolve("kamado-manifest.json").toFile());
    assertThat(JSON.readTree(again.resolve("kamado-manifest.json").toFile()).at("/model/evalMetrics"))
        .as("evaluation figures of the two uninterrupted runs").isEqualTo(straightManifest.at("/model/evalMetrics"));
    if (alternateWorkers) {
      assertThat(Files.readString(work.resolve(name + "-again.log")))
          .contains("Workers: 2 thread(s) compute the 3 micro-batch(es) of each step side by side");
      assertThat(straightManifest.at("/model/evalMetrics/eval_loss").isNumber()).isTrue();
    }

    Path firstLog = work.resolve(name + "-killed-1.log");
    Process p = TrainerJar.start(firstLog, Map.of(),
        args(killed, data, format, workers(extra, alternateWorkers, 2)).toArray(String[]::new));
    Path latest = killed.resolve("checkpoints").resolve("latest");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!(Files.isRegularFile(latest) && Files.readString(latest).trim().compareTo("step-00000006") >= 0)) {
      assertThat(p.isAlive()).as("trainer still running before the kill; log:\n%s", Files.readString(firstLog))
          .isTrue();
      assertThat(System.nanoTime()).as("a checkpoint within 3 minutes").isLessThan(deadline);
      Thread.sleep(2);
    }
    p.destroyForcibly(); // SIGKILL
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("killed by SIGKILL").isEqualTo(137);
    assertThat(killed.resolve("kamado-manifest.json")).as("killed before the end").doesNotExist();

    TrainerJar.runOk(work.resolve(name + "-killed-2.log"),
        args(killed, data, format, workers(extra, alternateWorkers, 1)).toArray(String[]::new));
    String resumedLog = Files.readString(work.resolve(name + "-killed-2.log"));
    assertThat(resumedLog).contains("Resumed from checkpoint");

    JsonNode a = JSON.readTree(straight.resolve("kamado-manifest.json").toFile());
    JsonNode b = JSON.readTree(killed.resolve("kamado-manifest.json").toFile());
    assertThat(b.at("/run/resumedFromStep").asLong()).isGreaterThanOrEqualTo(6);
    assertThat(b.at("/run/steps").asLong()).isEqualTo(a.at("/run/steps").asLong());
    assertThat(b.at("/model/datasetDigest").asText()).isEqualTo(a.at("/model/datasetDigest").asText());

    assertThat(maxDifference(straight.resolve(weights), killed.resolve(weights)))
        .as("largest weight difference between the uninterrupted and the killed-and-resumed run")
        .isLessThanOrEqualTo(1e-6);
    try (SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors"));
        SafetensorsFile y = SafetensorsFile.open(killed.resolve(weights))) {
      String some = y.names().first();
      if (base.names().contains(some)) {
        assertThat(y.floats(some)).as("training changed the weights").isNotEqualTo(base.floats(some));
      }
    }
  }

  private static String[] workers(String[] extra, boolean set, int count) {
    if (!set) {
      return extra;
    }
    String[] out = java.util.Arrays.copyOf(extra, extra.length + 2);
    out[extra.length] = "--workers";
    out[extra.length + 1] = Integer.toString(count);
    return out;
  }

  /** Largest absolute difference between the tensors of two weight files (NaN anywhere counts as infinite). */
  private static double maxDifference(Path a, Path b) throws Exception {
    try (SafetensorsFile x = SafetensorsFile.open(a);
        SafetensorsFile y = SafetensorsFile.open(b)) {
      assertThat(y.names()).isEqualTo(x.names());
      double maxDiff = 0;
      for (String t : x.names()) {
        float[] u = x.floats(t);
        float[] v = y.floats(t);
        assertThat(v).hasSameSizeAs(u);
        for (int i = 0; i < u.length; i++) {
          double d = Math.abs(u[i] - v[i]);
          maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(maxDiff, d);
        }
      }
      return maxDiff;
    }
  }

  static void deleteTree(Path dir) throws Exception {
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
