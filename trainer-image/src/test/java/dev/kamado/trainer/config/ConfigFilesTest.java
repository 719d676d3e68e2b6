package dev.kamado.trainer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.api.v1alpha1.LearningRateSchedule;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.TrainingMethod;
import dev.kamado.trainer.InvalidInputException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigFilesTest {
  /** What the operator writes (TrainingJobResources.trainingConfig, pretty-printed). */
  static final String OPERATOR_JSON = """
      {
        "version" : 1,
        "name" : "triage",
        "objective" : "sft",
        "baseModel" : { "uri" : "pvc://models/base", "path" : "/kamado/volumes/models/base", "digest" : "sha256:ab" },
        "dataset" : { "uri" : "pvc://data/train.jsonl", "path" : "/kamado/volumes/data/train.jsonl",
          "format" : "chat", "evalFraction" : 0.1, "maxSequenceLength" : 512, "invalidExamples" : "skip" },
        "method" : "lora",
        "lora" : { "rank" : 8, "alpha" : 16, "dropout" : 0.0, "targetModules" : [ "q_proj", "v_proj" ],
          "merge" : true },
        "hyperParameters" : { "epochs" : 2, "batchSize" : 4, "gradientAccumulationSteps" : 2,
          "learningRate" : 0.001, "weightDecay" : 0.01, "warmupSteps" : 5, "schedule" : "linear",
          "maxGradNorm" : 1.0, "seed" : 7, "precision" : "bf16" },
        "checkpoint" : { "path" : "/kamado/volumes/out/v1/checkpoints", "everySteps" : 50, "keep" : 3 },
        "output" : { "uri" : "pvc://out/v1", "path" : "/kamado/volumes/out/v1" }
      }
      """;

  @Test
  void operatorConfigurationResolvesWithEveryValue() {
    RunSettings s = SettingsResolver.resolve(ConfigFiles.parse(OPERATOR_JSON, "training.json", false),
        Overrides.none());
    assertThat(s.name()).isEqualTo("triage");
    assertThat(s.objective()).isEqualTo(Objective.SFT);
    assertThat(s.baseModel()).isEqualTo(Path.of("/kamado/volumes/models/base"));
    assertThat(s.baseModelUri()).isEqualTo("pvc://models/base");
    assertThat(s.baseModelDigest()).isEqualTo("sha256:ab");
    assertThat(s.format()).isEqualTo(DatasetFormat.CHAT);
    assertThat(s.evalFraction()).isEqualTo(0.1);
    assertThat(s.maxSequenceLength()).isEqualTo(512);
    assertThat(s.invalidExamples()).isEqualTo(InvalidExamplePolicy.SKIP);
    assertThat(s.packing()).isFalse();
    assertThat(s.groupByLength()).isTrue();
    assertThat(s.method()).isEqualTo(TrainingMethod.LORA);
    assertThat(s.lora()).isEqualTo(new RunSettings.Lora(8, 16, 0.0, java.util.List.of("q_proj", "v_proj"), true));
    assertThat(s.hyper()).isEqualTo(new RunSettings.Hyper(2, 0, 4, 2, 0.001, 0.01, 5, 0.03,
        LearningRateSchedule.LINEAR, 1.0, 7, 0));
    assertThat(s.checkpointDir()).isEqualTo(Path.of("/kamado/volumes/out/v1/checkpoints"));
    assertThat(s.checkpointEvery()).isEqualTo(50);
    assertThat(s.checkpointKeep()).isEqualTo(3);
    assertThat(s.outputUri()).isEqualTo("pvc://out/v1");
  }

  @Test
  void yamlWorksToo() {
    var c = ConfigFiles.parse("""
        baseModel: {path: /m}
        dataset: {path: /d.jsonl, format: text}
        output: {path: /o}
        method: full
        """, "t.yaml", true);
    RunSettings s = SettingsResolver.resolve(c, Overrides.none());
    assertThat(s.objective()).isEqualTo(Objective.CONTINUED_PRETRAINING);
    assertThat(s.packing()).isTrue();
    assertThat(s.lora()).isNull();
    assertThat(s.hyper().epochs()).isEqualTo(3);
    assertThat(s.hyper().warmupFor(100)).isEqualTo(3);
    assertThat(s.checkpointDir()).isEqualTo(Path.of("/o/checkpoints"));
  }

  @Test
  void packingAndLengthGroupingComeFromTheDatasetSectionAndFlagsWin() {
    var c = ConfigFiles.parse("""
        baseModel: {path: /m}
        dataset: {path: /d.jsonl, format: chat, packing: true, groupByLength: false}
        output: {path: /o}
        method: full
        """, "t.yaml", true);
    RunSettings s = SettingsResolver.resolve(c, Overrides.none());
    assertThat(s.packing()).isTrue();
    assertThat(s.groupByLength()).isFalse();
    var defaults = SettingsResolver.resolve(ConfigFiles.parse("""
        baseModel: {path: /m}
        dataset: {path: /d.jsonl, format: chat}
        output: {path: /o}
        method: full
        """, "t.yaml", true), Overrides.none());
    assertThat(defaults.packing()).isFalse();
    assertThat(defaults.groupByLength()).isTrue();
  }

  @Test
  void errorsNameTheFieldAndTheReason() {
    assertThatThrownBy(() -> ConfigFiles.parse("{\"hyperParameters\":{\"learningrate\":1}}", "training.json", false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("training.json: unknown field \"hyperParameters.learningrate\" (known: batchSize,");
    assertThatThrownBy(() -> ConfigFiles.parse("{\"dataset\":{\"format\":\"csv\"}}", "training.json", false))
        .hasMessage("training.json: field \"dataset.format\": invalid value \"csv\", expected one of chat, "
            + "completion, text");
    assertThatThrownBy(() -> ConfigFiles.parse("{\"hyperParameters\":{\"batchSize\":\"big\"}}", "t.json", false))
        .hasMessage("t.json: field \"hyperParameters.batchSize\": invalid value \"big\", expected an integer");
    assertThatThrownBy(() -> ConfigFiles.parse("{\"dataset\":[1]}", "t.json", false))
        .hasMessage("t.json: field \"dataset\" has the wrong type, expected an object");
    assertThatThrownBy(() -> ConfigFiles.parse("{\"name\": ", "t.json", false))
        .hasMessageStartingWith("t.json: not valid JSON at line 1 column 10:");
    assertThatThrownBy(() -> ConfigFiles.parse("  ", "t.json", false)).hasMessage("t.json: the configuration is empty");
  }

  @Test
  void missingOrInvalidSettingsAreNamed() {
    assertThatThrownBy(() -> SettingsResolver.resolve(
        ConfigFiles.parse("{\"dataset\":{\"path\":\"/d\",\"format\":\"chat\"},\"output\":{\"path\":\"/o\"}}", "t", false),
        Overrides.none()))
        .hasMessage("baseModel.path is required (flag --base-model)");
    assertThatThrownBy(() -> SettingsResolver.resolve(ConfigFiles.parse(
        "{\"baseModel\":{\"path\":\"/m\"},\"dataset\":{\"path\":\"/d\",\"format\":\"chat\"},\"output\":{\"path\":\"/o\"},"
            + "\"hyperParameters\":{\"batchSize\":0}}", "t", false), Overrides.none()))
        .hasMessage("hyperParameters.batchSize must be at least 1, got 0");
    assertThatThrownBy(() -> SettingsResolver.resolve(ConfigFiles.parse(
        "{\"objective\":\"sft\",\"baseModel\":{\"path\":\"/m\"},\"dataset\":{\"path\":\"/d\",\"format\":\"text\"},"
            + "\"output\":{\"path\":\"/o\"}}", "t", false), Overrides.none()))
        .hasMessage("objective sft needs dataset.format chat or completion, not text");
    assertThatThrownBy(() -> SettingsResolver.resolve(ConfigFiles.parse(
        "{\"baseModel\":{\"path\":\"/m\"},\"dataset\":{\"path\":\"/d\",\"format\":\"chat\"},\"output\":{\"path\":\"/o\"},"
            + "\"lora\":{\"targetModules\":[\"qkv\"]}}", "t", false), Overrides.none()))
        .hasMessageStartingWith("lora.targetModules: unknown module \"qkv\"");
  }
}
