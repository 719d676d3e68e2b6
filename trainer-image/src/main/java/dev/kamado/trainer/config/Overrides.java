package dev.kamado.trainer.config;

import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.api.v1alpha1.LearningRateSchedule;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.TrainingMethod;
import java.nio.file.Path;
import java.util.List;

/** Values given on the command line; null means "not given", so the configuration file or the default applies. */
public record Overrides(
    String name,
    Objective objective,
    Path baseModel,
    Path dataset,
    DatasetFormat format,
    Path evalDataset,
    Double evalFraction,
    Integer maxSequenceLength,
    InvalidExamplePolicy invalidExamples,
    Boolean packing,
    Boolean groupByLength,
    TrainingMethod method,
    Integer loraRank,
    Integer loraAlpha,
    Double loraDropout,
    List<String> loraTargets,
    Boolean merge,
    Integer epochs,
    Long maxSteps,
    Integer batchSize,
    Integer gradientAccumulationSteps,
    Double learningRate,
    Double weightDecay,
    Long warmupSteps,
    Double warmupRatio,
    LearningRateSchedule schedule,
    Double maxGradNorm,
    Long seed,
    Long evalEverySteps,
    Path output,
    Path checkpointDir,
    Long checkpointEvery,
    Integer checkpointKeep,
    Long logEverySteps,
    Integer workers) {

  /** No overrides. */
  public static Overrides none() {
    return new Overrides(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null);
  }
}
