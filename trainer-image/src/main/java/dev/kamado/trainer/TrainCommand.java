package dev.kamado.trainer;

import dev.kamado.api.training.TrainerContract;
import dev.kamado.api.training.TrainingConfig;
import dev.kamado.api.training.TrainingResult;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.api.v1alpha1.LearningRateSchedule;
import dev.kamado.api.v1alpha1.Objective;
import dev.kamado.api.v1alpha1.TrainingMethod;
import dev.kamado.trainer.config.ConfigFiles;
import dev.kamado.trainer.config.Overrides;
import dev.kamado.trainer.config.RunSettings;
import dev.kamado.trainer.config.SettingsResolver;
import dev.kamado.trainer.progress.ConfigMapProgress;
import dev.kamado.trainer.progress.KubernetesEndpoint;
import dev.kamado.trainer.progress.ProgressLine;
import dev.kamado.trainer.progress.ProgressSink;
import dev.kamado.trainer.progress.PrometheusProgress;
import dev.kamado.trainer.progress.ResultWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: one training run from a configuration file, flags, or both (flags win). */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Trains a model: supervised fine-tuning (chat, completion) or continued pre-training (text), "
        + "LoRA or full. Resumes from the newest checkpoint of the same run."})
final class TrainCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

  @Option(names = "--config", paramLabel = "FILE", description = "Training configuration (JSON as the operator "
      + "mounts it, or YAML). Default: $" + TrainerContract.ENV_CONFIG + " when set.")
  Path config;

  @Option(names = "--base-model", paramLabel = "DIR", description = "Model folder to start from.")
  Path baseModel;
  @Option(names = "--dataset", paramLabel = "PATH", description = "Training data: a file or a folder of files.")
  Path dataset;
  @Option(names = "--format", paramLabel = "FORMAT", description = "chat, completion or text.",
      converter = Converters.Format.class)
  DatasetFormat format;
  @Option(names = "--objective", paramLabel = "OBJ", description = "sft or continued-pretraining (default from the "
      + "format).", converter = Converters.ObjectiveConverter.class)
  Objective objective;
  @Option(names = "--eval-dataset", paramLabel = "PATH", description = "Separate evaluation data.")
  Path evalDataset;
  @Option(names = "--eval-fraction", paramLabel = "F", description = "Share of the training data held out for "
      + "evaluation (default 0).")
  Double evalFraction;
  @Option(names = "--max-length", paramLabel = "N", description = "Longest example in tokens (default 1024).")
  Integer maxLength;
  @Option(names = "--invalid-examples", paramLabel = "POLICY", description = "fail (default) or skip.",
      converter = Converters.Policy.class)
  InvalidExamplePolicy invalidExamples;
  @Option(names = "--packing", negatable = true, description = "Pack several examples per row (default: on for "
      + "text, off otherwise).")
  Boolean packing;
  @Option(names = "--group-by-length", negatable = true, description = "Without packing, fill each micro-batch with "
      + "examples of similar length, so less padding is computed (default on; as Hugging Face's group_by_length).")
  Boolean groupByLength;
  @Option(names = "--output", paramLabel = "DIR", description = "Folder for the produced model.")
  Path output;
  @Option(names = "--name", paramLabel = "NAME", description = "Run name for the lineage (default: output folder).")
  String name;

  @Option(names = "--method", paramLabel = "METHOD", description = "lora (default) or full.",
      converter = Converters.Method.class)
  TrainingMethod method;
  @Option(names = "--lora-rank", paramLabel = "R", description = "LoRA rank (default 16).")
  Integer loraRank;
  @Option(names = "--lora-alpha", paramLabel = "A", description = "LoRA alpha (default 32).")
  Integer loraAlpha;
  @Option(names = "--lora-dropout", paramLabel = "P", description = "LoRA dropout (default 0.05).")
  Double loraDropout;
  @Option(names = "--lora-targets", paramLabel = "M", split = ",", description = "LoRA target modules (default: "
      + "all of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj).")
  List<String> loraTargets;
  @Option(names = "--merge", negatable = true, description = "Also write the merged full model to OUTPUT/merged.")
  Boolean merge;

  @Option(names = "--epochs", paramLabel = "N", description = "Passes over the data (default 3).")
  Integer epochs;
  @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N optimizer steps.")
  Long maxSteps;
  @Option(names = "--batch-size", paramLabel = "N", description = "Rows per micro-batch (default 8).")
  Integer batchSize;
  @Option(names = "--grad-accum", paramLabel = "N", description = "Micro-batches per optimizer step (default 1).")
  Integer gradAccum;
  @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 2e-4).")
  Double learningRate;
  @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW weight decay (default 0).")
  Double weightDecay;
  @Option(names = "--warmup-steps", paramLabel = "N", description = "Warm-up steps.")
  Long warmupSteps;
  @Option(names = "--warmup-ratio", paramLabel = "F", description = "Warm-up share of the steps (default 0.03).")
  Double warmupRatio;
  @Option(names = "--schedule", paramLabel = "S", description = "cosine (default), linear or constant.",
      converter = Converters.Schedule.class)
  LearningRateSchedule schedule;
  @Option(names = "--max-grad-norm", paramLabel = "X", description = "Gradient clipping norm, 0 off (default 1).")
  Double maxGradNorm;
  @Option(names = "--seed", paramLabel = "N", description = "Seed (default 42).")
  Long seed;
  @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate every N steps (and at the end).")
  Long evalEvery;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Checkpoint folder (default OUTPUT/"
      + "checkpoints).")
  Path checkpointDir;
  @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints (default 500).")
  Long checkpointEvery;
  @Option(names = "--checkpoint-keep", paramLabel = "K", description = "Checkpoints kept (default 2).")
  Integer checkpointKeep;
  @Option(names = "--log-every", paramLabel = "N", description = "Steps between progress lines (default 10).")
  Long logEvery;
  @Option(names = "--workers", paramLabel = "N", description = "Threads computing the micro-batches of a step side by "
      + "side; results are identical for every N (default: $KAMADO_TRAIN_WORKERS, else automatic: one per core, at "
      + "most gradientAccumulationSteps).")
  Integer workers;
  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Serve Prometheus metrics on this port "
      + "(default: $KAMADO_METRICS_PORT, else off).")
  Integer metricsPort;
  @Option(names = "--termination-log", paramLabel = "FILE", description = "Where the result JSON goes (default "
      + TrainerContract.TERMINATION_LOG + " when it exists).")
  Path terminationLog;

  @Override
  public Integer call() throws Exception {
    ResultWriter result = new ResultWriter(terminationLogPath());
    List<ProgressSink> sinks = new ArrayList<>();
    try {
      Path configFile = config != null ? config : envPath(TrainerContract.ENV_CONFIG);
      TrainingConfig file = configFile == null ? null : ConfigFiles.read(configFile);
      RunSettings settings = SettingsResolver.resolve(file, overrides());
      sinks.add(new ProgressLine());
      Integer port = metricsPort != null ? metricsPort : envInt("KAMADO_METRICS_PORT");
      if (port != null) {
        PrometheusProgress prometheus = new PrometheusProgress(port);
        LOG.info("Metrics on http://0.0.0.0:{}/metrics", prometheus.port());
        sinks.add(prometheus);
      }
      String accountDir = System.getenv("KAMADO_SERVICE_ACCOUNT_DIR");
      var endpoint = KubernetesEndpoint.fromEnvironment(System.getenv(), accountDir == null || accountDir.isBlank()
          ? KubernetesEndpoint.SERVICE_ACCOUNT_DIR : Path.of(accountDir));
      if (endpoint.isPresent()) {
        try {
          sinks.add(new ConfigMapProgress(endpoint.get()));
          LOG.info("Reporting progress to ConfigMap {}/{}", endpoint.get().namespace(), endpoint.get().configMap());
        } catch (Exception e) {
          LOG.warn("No progress ConfigMap reports: cannot set up the API client ({})", e.getMessage());
        }
      }
      Trainer.Outcome outcome = new Trainer(settings, sinks).run();
      result.terminationMessage(new TrainingResult(outcome.manifest().model(), null));
      return 0;
    } catch (InvalidInputException e) {
      result.terminationMessage(new TrainingResult(null, e.getMessage()));
      throw e;
    } catch (Exception | Error e) {
      result.terminationMessage(new TrainingResult(null, e.getClass().getSimpleName() + ": " + e.getMessage()));
      throw e;
    } finally {
      for (ProgressSink s : sinks) {
        s.close();
      }
    }
  }

  private Path terminationLogPath() {
    if (terminationLog != null) {
      return terminationLog;
    }
    Path standard = Path.of(TrainerContract.TERMINATION_LOG);
    return Files.isWritable(standard) ? standard : null;
  }

  private static Path envPath(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? null : Path.of(v);
  }

  private static Integer envInt(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("environment variable " + name + " must be a whole number, got '" + v + "'");
    }
  }

  private Overrides overrides() {
    return new Overrides(name, objective, baseModel, dataset, format, evalDataset, evalFraction, maxLength,
        invalidExamples, packing, groupByLength, method, loraRank, loraAlpha, loraDropout, loraTargets, merge, epochs,
        maxSteps, batchSize, gradAccum, learningRate, weightDecay, warmupSteps, warmupRatio, schedule, maxGradNorm,
        seed, evalEvery, output, checkpointDir, checkpointEvery, checkpointKeep, logEvery,
        workers != null ? workers : envInt("KAMADO_TRAIN_WORKERS"));
  }

  /** Case-insensitive converters for the API's lower-case enum names. */
  static final class Converters {
    private Converters() {}

    static <E extends Enum<E>> E parse(Class<E> type, String value) {
      String wanted = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(wanted)) {
          return e;
        }
      }
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not one of " + names);
    }

    static final class Format implements picocli.CommandLine.ITypeConverter<DatasetFormat> {
      @Override
      public DatasetFormat convert(String v) {
        return parse(DatasetFormat.class, v);
      }
    }

    static final class ObjectiveConverter implements picocli.CommandLine.ITypeConverter<Objective> {
      @Override
      public Objective convert(String v) {
        return parse(Objective.class, v);
      }
    }

    static final class Policy implements picocli.CommandLine.ITypeConverter<InvalidExamplePolicy> {
      @Override
      public InvalidExamplePolicy convert(String v) {
        return parse(InvalidExamplePolicy.class, v);
      }
    }

    static final class Method implements picocli.CommandLine.ITypeConverter<TrainingMethod> {
      @Override
      public TrainingMethod convert(String v) {
        return parse(TrainingMethod.class, v);
      }
    }

    static final class Schedule implements picocli.CommandLine.ITypeConverter<LearningRateSchedule> {
      @Override
      public LearningRateSchedule convert(String v) {
        return parse(LearningRateSchedule.class, v);
      }
    }
  }
}
