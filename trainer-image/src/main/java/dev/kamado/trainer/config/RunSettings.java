package dev.kamado.trainer.config;

import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.api.v1alpha1.LearningRateSchedule;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.TrainingMethod;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything one training run needs, resolved and checked: from the operator's {@code training.json} (or YAML),
 * from command-line flags, or both (flags win). Built by {@link SettingsResolver}.
 *
 * @param name run name, recorded in the model's lineage
 * @param objective sft or continued-pretraining
 * @param baseModel folder of the model to start from (config.json, model.safetensors, tokenizer.json)
 * @param baseModelUri the base model as the user named it
 * @param baseModelDigest its digest when the operator knows it, else null (then computed)
 * @param dataset training data, a file or a folder
 * @param datasetUri the dataset as the user named it
 * @param format layout of the data
 * @param evalDataset separate evaluation data, or null
 * @param evalFraction share of the training examples held out for evaluation when there is no evaluation file
 * @param maxSequenceLength longest example in tokens
 * @param invalidExamples what to do with unusable lines
 * @param packing several examples per row (segment-aware attention) instead of one padded example per row
 * @param groupByLength without packing, micro-batches of examples of similar length (less padding; see
 *     {@link dev.kamado.trainer.data.DataPlan})
 * @param method full or lora
 * @param lora LoRA settings, with method lora
 * @param hyper optimisation settings
 * @param checkpointDir where checkpoints go
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 * @param checkpointKeep checkpoints kept
 * @param output folder of the produced model
 * @param outputUri the output as the user named it
 * @param logEverySteps steps between progress lines and reports
 * @param workers threads that compute the micro-batches of a step side by side (1 = the training thread alone, 0 =
 *     automatic, see {@link dev.kamado.trainer.GradientWorkers#resolve}); does not change the arithmetic: the
 *     gradients are summed in micro-batch order whatever the count
 */
public record RunSettings(
    String name,
    Objective objective,
    Path baseModel,
    String baseModelUri,
    String baseModelDigest,
    Path dataset,
    String datasetUri,
    DatasetFormat format,
    Path evalDataset,
    double evalFraction,
    int maxSequenceLength,
    InvalidExamplePolicy invalidExamples,
    boolean packing,
    boolean groupByLength,
    TrainingMethod method,
    Lora lora,
    Hyper hyper,
    Path checkpointDir,
    long checkpointEvery,
    int checkpointKeep,
    Path output,
    String outputUri,
    long logEverySteps,
    int workers) {

  /** LoRA settings with defaults filled in. */
  public record Lora(int rank, double alpha, double dropout, List<String> targetModules, boolean merge) {
    /** Copies the list. */
    public Lora {
      targetModules = List.copyOf(targetModules);
    }
  }

  /**
   * Optimisation settings with defaults filled in.
   *
   * @param epochs passes over the data
   * @param maxSteps optimizer steps after which the run stops, 0 for no limit
   * @param batchSize rows per micro-batch
   * @param gradientAccumulationSteps micro-batches per optimizer step
   * @param learningRate peak learning rate
   * @param weightDecay AdamW decoupled weight decay
   * @param warmupSteps warm-up steps, or -1 to use {@code warmupRatio}
   * @param warmupRatio warm-up as a share of the total steps
   * @param schedule shape after warm-up
   * @param maxGradNorm global-norm clipping threshold (0: off)
   * @param seed seed of initialisation, dropout and data order
   * @param evalEverySteps steps between evaluations (0: only at the end)
   */
  public record Hyper(
      int epochs,
      long maxSteps,
      int batchSize,
      int gradientAccumulationSteps,
      double learningRate,
      double weightDecay,
      long warmupSteps,
      double warmupRatio,
      LearningRateSchedule schedule,
      double maxGradNorm,
      long seed,
      long evalEverySteps) {

    /** Warm-up steps for a run of {@code totalSteps}. */
    public long warmupFor(long totalSteps) {
      return warmupSteps >= 0 ? warmupSteps : (long) Math.ceil(warmupRatio * totalSteps);
    }
  }
}
