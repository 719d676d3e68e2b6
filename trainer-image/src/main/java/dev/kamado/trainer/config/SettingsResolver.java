package dev.kamado.trainer.config;

import dev.kamado.api.training.TrainingConfig;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.HyperParameters;
import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.api.v1alpha1.LearningRateSchedule;
import dev.kamado.api.v1alpha1.LoraSettings;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.TrainingMethod;
import dev.kamado.trainer.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Merges the configuration file (may be absent) and the command-line overrides into {@link RunSettings}, fills the
 * defaults the API documents, and checks every value, naming the field in errors.
 */
public final class SettingsResolver {
  /** The LoRA target modules when none are named: every linear layer of a Llama block. */
  public static final List<String> ALL_TARGETS =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
  /** Longest example when neither the configuration nor a flag says. */
  public static final int DEFAULT_MAX_SEQUENCE_LENGTH = 1024;

  private SettingsResolver() {}

  /**
   * Resolves a run.
   *
   * @param file the parsed configuration file, or null
   * @param flags command-line values
   * @throws InvalidInputException naming the first missing or invalid setting
   */
  public static RunSettings resolve(TrainingConfig file, Overrides flags) {
    TrainingConfig.DatasetConfig ds = file == null ? null : file.dataset();
    HyperParameters hp = file == null || file.hyperParameters() == null ? new HyperParameters()
        : file.hyperParameters();
    LoraSettings lora = file == null || file.lora() == null ? new LoraSettings() : file.lora();

    Objective objective = first(flags.objective(), file == null ? null : file.objective(), null);
    DatasetFormat format = first(flags.format(), ds == null ? null : ds.format(), null);
    if (format == null) {
      format = objective == Objective.CONTINUED_PRETRAINING ? DatasetFormat.TEXT : null;
    }
    if (format == null) {
      throw new InvalidInputException("dataset.format is required (chat, completion or text); flag --format");
    }
    if (objective == null) {
      objective = format == DatasetFormat.TEXT ? Objective.CONTINUED_PRETRAINING : Objective.SFT;
    }
    if (objective == Objective.DISTILLATION) {
      throw new InvalidInputException("objective distillation is not supported by this trainer yet");
    }
    if (objective == Objective.SFT && format == DatasetFormat.TEXT) {
      throw new InvalidInputException("objective sft needs dataset.format chat or completion, not text");
    }
    if (objective == Objective.CONTINUED_PRETRAINING && format != DatasetFormat.TEXT) {
      throw new InvalidInputException("objective continued-pretraining needs dataset.format text, not "
          + format.name().toLowerCase(java.util.Locale.ROOT));
    }

    Path base = required("baseModel.path", "--base-model",
        first(flags.baseModel(), file == null || file.baseModel() == null ? null : path(file.baseModel().path()),
            null));
    Path dataset = required("dataset.path", "--dataset",
        first(flags.dataset(), ds == null ? null : path(ds.path()), null));
    Path output = required("output.path", "--output",
        first(flags.output(), file == null || file.output() == null ? null : path(file.output().path()), null));
    Path eval = first(flags.evalDataset(), ds == null ? null : path(ds.evalPath()), null);
    double evalFraction = first(flags.evalFraction(), ds == null ? null : ds.evalFraction(), 0.0);
    check(evalFraction >= 0 && evalFraction < 1, "dataset.evalFraction", "must be in [0, 1)", evalFraction);
    int maxLen = first(flags.maxSequenceLength(), ds == null ? null : ds.maxSequenceLength(),
        DEFAULT_MAX_SEQUENCE_LENGTH);
    check(maxLen >= 2, "dataset.maxSequenceLength", "must be at least 2", maxLen);
    InvalidExamplePolicy policy = first(flags.invalidExamples(), ds == null ? null : ds.invalidExamples(),
        InvalidExamplePolicy.FAIL);
    boolean packing = first(flags.packing(), ds == null ? null : ds.packing(), format == DatasetFormat.TEXT);
    boolean groupByLength = first(flags.groupByLength(), ds == null ? null : ds.groupByLength(), true);

    TrainingMethod method = first(flags.method(), file == null ? null : file.method(), TrainingMethod.LORA);
    RunSettings.Lora loraSettings = null;
    if (method == TrainingMethod.LORA) {
      int rank = first(flags.loraRank(), lora.getRank(), 16);
      int alpha = first(flags.loraAlpha(), lora.getAlpha(), 32);
      double dropout = first(flags.loraDropout(), lora.getDropout(), 0.05);
      List<String> targets = first(flags.loraTargets(), lora.getTargetModules(), ALL_TARGETS);
      check(rank >= 1, "lora.rank", "must be at least 1", rank);
      check(alpha >= 1, "lora.alpha", "must be at least 1", alpha);
      check(dropout >= 0 && dropout < 1, "lora.dropout", "must be in [0, 1)", dropout);
      if (targets.isEmpty()) {
        throw new InvalidInputException("lora.targetModules must name at least one module");
      }
      for (String t : targets) {
        if (!Set.copyOf(ALL_TARGETS).contains(t)) {
          throw new InvalidInputException("lora.targetModules: unknown module \"" + t + "\" (known: "
              + String.join(", ", ALL_TARGETS) + ")");
        }
      }
      loraSettings = new RunSettings.Lora(rank, alpha, dropout, targets, first(flags.merge(), lora.getMerge(), false));
    }

    RunSettings.Hyper hyper = hyper(hp, flags);
    TrainingConfig.CheckpointConfig ck = file == null ? null : file.checkpoint();
    Path checkpointDir = first(flags.checkpointDir(), ck == null ? null : path(ck.path()),
        output.resolve("checkpoints"));
    long every = first(flags.checkpointEvery(), ck == null ? null : ck.everySteps(), 500L);
    int keep = first(flags.checkpointKeep(), ck == null || ck.keep() == 0 ? null : ck.keep(), 2);
    check(every >= 0, "checkpoint.everySteps", "must not be negative", every);
    check(keep >= 1, "checkpoint.keep", "must be at least 1", keep);
    long logEvery = first(flags.logEverySteps(), null, 10L);
    check(logEvery >= 1, "--log-every", "must be at least 1", logEvery);
    int workers = first(flags.workers(), 0);
    check(workers >= 0, "--workers", "must be 0 (automatic) or a positive thread count", workers);

    String name = first(flags.name(), file == null ? null : file.name(), output.getFileName().toString());
    return new RunSettings(name, objective, base,
        file != null && file.baseModel() != null && file.baseModel().uri() != null && flags.baseModel() == null
            ? file.baseModel().uri() : base.toUri().toString(),
        file != null && file.baseModel() != null && flags.baseModel() == null ? file.baseModel().digest() : null,
        dataset,
        ds != null && ds.uri() != null && flags.dataset() == null ? ds.uri() : dataset.toUri().toString(),
        format, eval, eval != null ? 0.0 : evalFraction, maxLen, policy, packing, groupByLength, method, loraSettings,
        hyper, checkpointDir, every, keep, output,
        file != null && file.output() != null && file.output().uri() != null && flags.output() == null
            ? file.output().uri() : output.toUri().toString(),
        logEvery, workers);
  }

  private static RunSettings.Hyper hyper(HyperParameters hp, Overrides f) {
    int epochs = first(f.epochs(), hp.getEpochs(), 3);
    long maxSteps = first(f.maxSteps(), hp.getMaxSteps(), 0L);
    int batch = first(f.batchSize(), hp.getBatchSize(), 8);
    int accum = first(f.gradientAccumulationSteps(), hp.getGradientAccumulationSteps(), 1);
    double lr = first(f.learningRate(), hp.getLearningRate(), 2e-4);
    double wd = first(f.weightDecay(), hp.getWeightDecay(), 0.0);
    Long warmupSteps = first(f.warmupSteps(), hp.getWarmupSteps(), null);
    Double warmupRatio = first(f.warmupRatio(), hp.getWarmupRatio(), null);
    LearningRateSchedule schedule = first(f.schedule(), hp.getSchedule(), LearningRateSchedule.COSINE);
    double clip = first(f.maxGradNorm(), hp.getMaxGradNorm(), 1.0);
    long seed = first(f.seed(), hp.getSeed(), 42L);
    long evalEvery = first(f.evalEverySteps(), hp.getEvalEverySteps(), 0L);
    check(epochs >= 1, "hyperParameters.epochs", "must be at least 1", epochs);
    check(maxSteps >= 0, "hyperParameters.maxSteps", "must not be negative", maxSteps);
    check(batch >= 1, "hyperParameters.batchSize", "must be at least 1", batch);
    check(accum >= 1, "hyperParameters.gradientAccumulationSteps", "must be at least 1", accum);
    check(lr > 0 && lr <= 1, "hyperParameters.learningRate", "must be in (0, 1]", lr);
    check(wd >= 0 && wd <= 1, "hyperParameters.weightDecay", "must be in [0, 1]", wd);
    check(clip >= 0, "hyperParameters.maxGradNorm", "must not be negative", clip);
    check(seed >= 0, "hyperParameters.seed", "must not be negative", seed);
    check(evalEvery >= 0, "hyperParameters.evalEverySteps", "must not be negative", evalEvery);
    if (warmupSteps != null && warmupRatio != null && f.warmupSteps() == null && f.warmupRatio() == null) {
      throw new InvalidInputException("hyperParameters: set at most one of warmupSteps and warmupRatio");
    }
    if (warmupSteps != null && f.warmupRatio() != null) {
      warmupSteps = null;
    }
    if (warmupSteps != null) {
      check(warmupSteps >= 0, "hyperParameters.warmupSteps", "must not be negative", warmupSteps);
    }
    double ratio = warmupRatio == null ? 0.03 : warmupRatio;
    check(ratio >= 0 && ratio <= 0.5, "hyperParameters.warmupRatio", "must be in [0, 0.5]", ratio);
    return new RunSettings.Hyper(epochs, maxSteps, batch, accum, lr, wd, warmupSteps == null ? -1 : warmupSteps,
        ratio, schedule, clip, seed, evalEvery);
  }

  private static Path path(String p) {
    return p == null || p.isBlank() ? null : Path.of(p);
  }

  private static Path required(String field, String flag, Path value) {
    if (value == null) {
      throw new InvalidInputException(field + " is required (flag " + flag + ")");
    }
    return value;
  }

  private static void check(boolean ok, String field, String rule, Object value) {
    if (!ok) {
      throw new InvalidInputException(field + " " + rule + ", got " + value);
    }
  }

  @SafeVarargs
  private static <T> T first(T... values) {
    for (int i = 0; i < values.length - 1; i++) {
      if (values[i] != null) {
        return values[i];
      }
    }
    return values[values.length - 1];
  }
}
