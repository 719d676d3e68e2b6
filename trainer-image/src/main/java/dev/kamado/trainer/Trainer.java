package dev.kamado.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kamado.api.training.ProgressReport;
import dev.kamado.api.v1alpha1.ModelVersion;
import dev.kamado.api.v1alpha1.TrainingMethod;
import dev.kamado.model.Engines;
import dev.kamado.model.NdTensors;
import dev.kamado.model.TorchKernels;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.model.llama.LoraAdapter;
import dev.kamado.model.llama.LoraConfig;
import dev.kamado.model.safetensors.DType;
import dev.kamado.model.safetensors.SafetensorsWriter;
import dev.kamado.model.tokenizer.TextTokenizer;
import dev.kamado.trainer.checkpoint.CheckpointState;
import dev.kamado.trainer.checkpoint.CheckpointStore;
import dev.kamado.trainer.config.RunSettings;
import dev.kamado.trainer.data.Batch;
import dev.kamado.trainer.data.DataPlan;
import dev.kamado.trainer.data.DatasetProblem;
import dev.kamado.trainer.data.DatasetReader;
import dev.kamado.trainer.data.EncodedExample;
import dev.kamado.trainer.data.ExampleEncoder;
import dev.kamado.trainer.data.PreparedData;
import dev.kamado.trainer.optim.AdamW;
import dev.kamado.trainer.optim.GradientClipping;
import dev.kamado.trainer.optim.LrSchedule;
import dev.kamado.trainer.progress.ProgressSink;
import dev.kamado.trainer.progress.ResultWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run: reads and checks the data, loads the base model, trains (full or LoRA) with AdamW, checkpoints,
 * resumes exactly from the newest checkpoint of the same run, evaluates, writes the model and its manifest.
 */
public final class Trainer {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private static final ThreadMXBean THREAD_CPU = ManagementFactory.getThreadMXBean();
  /** Tokenizer and generation files copied from the base model next to the produced weights. */
  static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "generation_config.json", "tokenizer.model", "vocab.json", "merges.txt",
      "added_tokens.json", "chat_template.jinja");
  static final String OPTIMIZER_FILE = "optimizer.safetensors";

  private final RunSettings settings;
  private final List<ProgressSink> sinks;

  /** What a finished run produced. */
  public record Outcome(Manifest manifest, Path manifestFile) {}

  /** A trainer for {@code settings}, reporting to {@code sinks}. */
  public Trainer(RunSettings settings, List<ProgressSink> sinks) {
    this.settings = settings;
    this.sinks = List.copyOf(sinks);
  }

  /**
   * Runs to the end.
   *
   * @throws InvalidInputException when the model or data is unusable
   * @throws IOException when reading or writing fails
   */
  public Outcome run() throws IOException {
    long started = System.nanoTime();
    checkModelFolder(settings.baseModel());
    Engine engine = Engines.pytorch();
    Engines.bindCurrentThread();
    warnIfOpenMpUnpinned();
    try (TextTokenizer tokenizer = loadTokenizer(settings.baseModel());
        NDManager manager = engine.newBaseManager()) {
      PreparedData data = prepare(tokenizer);
      LOG.info("Data: {} training examples, {} evaluation examples, {} skipped lines",
          data.train().size(), data.eval().size(), data.skipped().values().stream().mapToInt(i -> i).sum());
      List<Path> datasetFiles = DatasetReader.files(settings.dataset());
      String datasetDigest = Digests.dataset(settings.dataset(), datasetFiles);
      String baseDigest = settings.baseModelDigest() != null ? settings.baseModelDigest()
          : Digests.model(settings.baseModel());

      RunSettings.Hyper hp = settings.hyper();
      DataPlan plan = DataPlan.of(data.trainLengths(), hp.batchSize(), settings.maxSequenceLength(),
          settings.packing(), settings.groupByLength(), hp.seed(), hp.epochs());
      long totalSteps = (plan.size() + hp.gradientAccumulationSteps() - 1) / hp.gradientAccumulationSteps();
      if (hp.maxSteps() > 0) {
        totalSteps = Math.min(totalSteps, hp.maxSteps());
      }
      LrSchedule schedule = new LrSchedule(hp.learningRate(), hp.warmupFor(totalSteps), totalSteps, hp.schedule());
      String fingerprint = fingerprint(baseDigest, datasetDigest);
      LOG.info("Plan: {} micro-batches of up to {} rows, {} optimizer steps ({} epochs, accumulation {}), "
          + "method {}, packing {}, group by length {}, {} padded tokens per token", plan.size(), hp.batchSize(),
          totalSteps, hp.epochs(), hp.gradientAccumulationSteps(), settings.method().name().toLowerCase(Locale.ROOT),
          settings.packing(), !settings.packing() && settings.groupByLength(),
          String.format(Locale.ROOT, "%.3f", plan.paddingFactor(data.trainLengths())));

      CheckpointStore store = new CheckpointStore(settings.checkpointDir(), settings.checkpointKeep());
      Optional<CheckpointStore.Checkpoint> resume = resumable(store, fingerprint);
      Path resumeDir = resume.map(CheckpointStore.Checkpoint::dir).orElse(null);
      LlamaModel model = loadModel(manager,
          resumeDir != null && settings.method() == TrainingMethod.FULL ? resumeDir : settings.baseModel());
      try {
        LoraAdapter adapter = null;
        Map<String, NDArray> trainable;
        if (settings.method() == TrainingMethod.LORA) {
          RunSettings.Lora l = settings.lora();
          adapter = resumeDir != null ? LoraAdapter.load(resumeDir, model)
              : LoraAdapter.create(model, new LoraConfig(l.rank(), l.alpha(), l.dropout(), l.targetModules()),
                  hp.seed());
          model.attach(adapter);
          trainable = adapter.parameters();
        } else {
          trainable = model.parameters();
        }
        long trainableCount = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
        LOG.info("Trainable parameters: {} in {} tensors", trainableCount, trainable.size());

        AdamW.Settings adam = AdamW.Settings.defaults(hp.weightDecay());
        boolean randomForward = settings.method() == TrainingMethod.LORA && settings.lora().dropout() > 0;
        int workerCount = GradientWorkers.resolve(settings.workers(), hp.gradientAccumulationSteps(), randomForward,
            Runtime.getRuntime().availableProcessors(), Engines.Settings.fromProcess().numThreads());
        if (randomForward && settings.workers() > 1) {
          LOG.warn("--workers {} ignored: LoRA dropout draws from libtorch's single random generator, so the "
              + "micro-batches run one after another (set lora.dropout to 0 to share them out)", settings.workers());
        }
        LOG.info("Workers: {} thread(s) compute the {} micro-batch(es) of each step side by side", workerCount,
            hp.gradientAccumulationSteps());
        try (AdamW optimizer = resumeDir == null ? new AdamW(trainable, adam, manager)
            : AdamW.restore(trainable, adam, manager, resume.get().state().step(),
                resumeDir.resolve(OPTIMIZER_FILE));
            GradientWorkers workers = new GradientWorkers(workerCount)) {
          trainable.values().forEach(p -> p.setRequiresGradient(true));
          Loop loop = new Loop(engine, manager, model, adapter, trainable, optimizer, store, data, plan, schedule,
              totalSteps, fingerprint, workers);
          long resumedFrom = resume.map(c -> loop.resumeAt(c)).orElse(0L);
          Map<String, Double> evalMetrics = loop.train();
          Path modelDir = writeModel(model, adapter);
          ModelVersion version = new ModelVersion();
          version.setUri(settings.outputUri());
          version.setDigest(Digests.model(modelDir));
          version.setBaseModelUri(settings.baseModelUri());
          version.setBaseModelDigest(baseDigest);
          version.setDatasetDigest(datasetDigest);
          version.setEvalMetrics(evalMetrics.isEmpty() ? null : evalMetrics);
          version.setCreateTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
          Manifest manifest = new Manifest(version, new Manifest.Run(settings.name(),
              settings.objective().name().toLowerCase(Locale.ROOT).replace('_', '-'),
              settings.method().name().toLowerCase(Locale.ROOT),
              adapter == null ? "model" : (settings.lora().merge() ? "peft-adapter+merged" : "peft-adapter"),
              settings.datasetUri(), settingsMap(), totalSteps, data.train().size(), data.eval().size(),
              loop.tokensSeen, data.skipped(), resumedFrom, Main.version()));
          Path file = ResultWriter.manifest(settings.output(), manifest);
          LOG.info("Wrote {} ({}) in {} s", settings.output(), version.getDigest(),
              (System.nanoTime() - started) / 1_000_000_000L);
          return new Outcome(manifest, file);
        }
      } finally {
        model.close();
      }
    }
  }

  /**
   * libtorch's OpenMP kernels only run on exactly the configured threads when {@code OMP_NUM_THREADS} says so before the
   * process starts; otherwise some reductions split differently from run to run and a run is no longer bitwise
   * reproducible (resume stays correct, but two runs differ in the last bits).
   */
  private static void warnIfOpenMpUnpinned() {
    String omp = System.getenv("OMP_NUM_THREADS");
    String threads = System.getProperty(Engines.NUM_THREADS);
    if (omp == null || !omp.trim().equals(threads)) {
      LOG.warn("OMP_NUM_THREADS is {} but libtorch uses {} intra-op threads; set OMP_NUM_THREADS={} for "
          + "bitwise-reproducible runs", omp == null ? "unset" : omp, threads, threads);
    }
  }

  private static void checkModelFolder(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputException("base model folder " + dir + " does not exist");
    }
    for (String f : List.of("config.json", "tokenizer.json")) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new InvalidInputException("base model folder " + dir + " has no " + f);
      }
    }
  }

  private static TextTokenizer loadTokenizer(Path dir) {
    try {
      return TextTokenizer.load(dir);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("cannot load the tokenizer of " + dir + ": " + e.getMessage(), e);
    }
  }

  private static LlamaModel loadModel(NDManager manager, Path dir) {
    try {
      return LlamaModel.load(dir, manager);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("cannot load the model " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The newest checkpoint of this run (same fingerprint), if any. */
  private static Optional<CheckpointStore.Checkpoint> resumable(CheckpointStore store, String fingerprint)
      throws IOException {
    Optional<CheckpointStore.Checkpoint> latest = store.latest();
    if (latest.isPresent() && !fingerprint.equals(latest.get().state().fingerprint())) {
      LOG.warn("Checkpoint {} belongs to another run (different model, data or settings); starting afresh",
          latest.get().dir());
      return Optional.empty();
    }
    return latest;
  }

  private PreparedData prepare(TextTokenizer tokenizer) {
    ExampleEncoder encoder = new ExampleEncoder(tokenizer, settings.maxSequenceLength());
    DatasetReader reader = new DatasetReader(settings.format());
    DatasetReader.Result train = reader.read(settings.dataset());
    ExampleEncoder.Result encoded = encoder.encodeAll(train.examples());
    List<DatasetProblem> problems = new ArrayList<>(train.problems());
    problems.addAll(encoded.problems());
    List<EncodedExample> trainExamples = encoded.examples();
    List<EncodedExample> evalExamples;
    if (settings.evalDataset() != null) {
      DatasetReader.Result eval = reader.read(settings.evalDataset());
      ExampleEncoder.Result evalEncoded = encoder.encodeAll(eval.examples());
      problems.addAll(eval.problems());
      problems.addAll(evalEncoded.problems());
      evalExamples = evalEncoded.examples();
    } else {
      List<List<EncodedExample>> split = PreparedData.split(trainExamples, settings.evalFraction(),
          settings.hyper().seed());
      trainExamples = split.get(0);
      evalExamples = split.get(1);
    }
    return PreparedData.of(trainExamples, evalExamples, problems, settings.invalidExamples());
  }

  /** sha256 over what determines the run's arithmetic; output and bookkeeping settings excluded. */
  private String fingerprint(String baseDigest, String datasetDigest) throws IOException {
    Map<String, Object> m = settingsMap();
    if (Boolean.FALSE.equals(m.get("groupByLength"))) {
      m.remove("groupByLength"); // the order of earlier trainer versions: their checkpoints stay resumable
    }
    m.put("baseModelDigest", baseDigest);
    m.put("datasetDigest", datasetDigest);
    if (settings.evalDataset() != null) {
      m.put("evalDigest", Digests.dataset(settings.evalDataset(), DatasetReader.files(settings.evalDataset())));
    }
    return "sha256:" + Digests.textHex(JSON.writeValueAsString(m));
  }

  private Map<String, Object> settingsMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", settings.format().name().toLowerCase(Locale.ROOT));
    m.put("objective", settings.objective().name().toLowerCase(Locale.ROOT));
    m.put("method", settings.method().name().toLowerCase(Locale.ROOT));
    m.put("maxSequenceLength", settings.maxSequenceLength());
    m.put("packing", settings.packing());
    m.put("groupByLength", !settings.packing() && settings.groupByLength());
    m.put("evalFraction", settings.evalFraction());
    m.put("invalidExamples", settings.invalidExamples().name().toLowerCase(Locale.ROOT));
    m.put("hyperParameters", JSON.convertValue(settings.hyper(), Map.class));
    if (settings.lora() != null) {
      m.put("lora", JSON.convertValue(settings.lora(), Map.class));
    }
    return m;
  }

  private Path writeModel(LlamaModel model, LoraAdapter adapter) throws IOException {
    Path out = settings.output();
    Files.createDirectories(out);
    if (adapter == null) {
      model.save(out);
    } else {
      adapter.save(out, settings.baseModelUri());
      if (settings.lora().merge()) {
        Path merged = Files.createDirectories(out.resolve("merged"));
        model.mergeLora();
        model.save(merged);
        copyTokenizer(settings.baseModel(), merged);
      }
    }
    copyTokenizer(settings.baseModel(), out);
    return out;
  }

  /** Copies the tokenizer and generation files of the base model into {@code dir}. */
  static void copyTokenizer(Path base, Path dir) throws IOException {
    for (String f : TOKENIZER_FILES) {
      Path src = base.resolve(f);
      if (Files.isRegularFile(src)) {
        Path tmp = dir.resolve("." + f + ".tmp");
        Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, dir.resolve(f), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private void publish(ProgressReport report) {
    for (ProgressSink s : sinks) {
      s.report(report);
    }
  }

  /** The optimisation loop and its state. */
  private final class Loop {
    private final Engine engine;
    private final NDManager manager;
    private final LlamaModel model;
    private final LoraAdapter adapter;
    private final Map<String, NDArray> trainable;
    private final AdamW optimizer;
    private final CheckpointStore store;
    private final PreparedData data;
    private final DataPlan plan;
    private final LrSchedule schedule;
    private final long totalSteps;
    private final String fingerprint;
    private final int padId;
    private final GradientWorkers workers;
    private final List<NDArray> trainableList;
    private boolean gradientsDefined;
    private long step;
    private long micro;
    private long tokensSeen;
    private double lastLr;
    private Double lastEvalLoss;
    private ProgressReport.Checkpoint lastCheckpoint;

    Loop(Engine engine, NDManager manager, LlamaModel model, LoraAdapter adapter, Map<String, NDArray> trainable,
        AdamW optimizer,
        CheckpointStore store, PreparedData data, DataPlan plan, LrSchedule schedule, long totalSteps,
        String fingerprint, GradientWorkers workers) {
      this.engine = engine;
      this.manager = manager;
      this.model = model;
      this.adapter = adapter;
      this.trainable = trainable;
      this.optimizer = optimizer;
      this.store = store;
      this.data = data;
      this.plan = plan;
      this.schedule = schedule;
      this.totalSteps = totalSteps;
      this.fingerprint = fingerprint;
      this.workers = workers;
      this.trainableList = List.copyOf(trainable.values());
      Integer pad = model.config().padTokenId();
      this.padId = pad == null ? 0 : pad;
    }

    /** Continues after checkpoint {@code c} (weights and moments are already loaded); returns its step. */
    long resumeAt(CheckpointStore.Checkpoint c) {
      step = c.state().step();
      micro = c.state().microBatches();
      lastLr = c.state().learningRate();
      lastCheckpoint = new ProgressReport.Checkpoint(step, relative(c.dir()), c.state().time());
      LOG.info("Resumed from checkpoint {} (step {}/{}, micro-batch {})", c.dir(), step, totalSteps, micro);
      return step;
    }

    /** Trains to the last step; returns the final evaluation figures. */
    Map<String, Double> train() throws IOException {
      RunSettings.Hyper hp = settings.hyper();
      int accumulation = hp.gradientAccumulationSteps();
      long intervalStart = System.nanoTime();
      long runStart = intervalStart;
      long stepsAtStart = step;
      long intervalTokens = 0;
      double intervalLoss = 0;
      long intervalTargets = 0;
      long computeNanos = 0;
      long computeCpuNanos = 0;
      long computeTokens = 0;
      long computeSteps = 0;
      while (step < totalSteps) {
        long computeStart = System.nanoTime();
        long cpuStart = THREAD_CPU.getCurrentThreadCpuTime() + workers.cpuNanos();
        long tokensBefore = tokensSeen;
        int first = (int) micro;
        int last = (int) Math.min(plan.size(), micro + accumulation);
        long stepTargets = 0;
        for (int b = first; b < last; b++) {
          for (int[] row : plan.microBatch(b)) {
            for (int i : row) {
              stepTargets += data.train().get(i).targetCount();
            }
          }
        }
        long targetsOfStep = stepTargets;
        int b = first;
        while (b < last) {
          int start = b;
          // side by side once the gradients exist (the first backward of a run creates them)
          int count = workers.size() > 1 && gradientsDefined() ? Math.min(workers.size(), last - b) : 1;
          List<MicroResult> round = workers.map(count,
              i -> i == 0 ? accumulate(start, start - first, targetsOfStep) : gradients(start + i, targetsOfStep));
          for (MicroResult r : round) {
            r.addTo(trainableList, manager);
            intervalLoss += r.lossTimesTargets();
            intervalTargets += r.targets();
            intervalTokens += r.tokens();
            tokensSeen += r.tokens();
          }
          b += count;
        }
        micro = last;
        double clipFactor = 1.0;
        if (hp.maxGradNorm() > 0) {
          double norm = GradientClipping.norm(trainable.values(), manager);
          clipFactor = GradientClipping.coefficient(norm, hp.maxGradNorm());
          LOG.debug("step {} gradient norm {}", step, Double.toHexString(norm));
        }
        lastLr = schedule.at(step);
        // clipping is applied by the optimizer as it reads the gradients (one pass fewer)
        optimizer.step(lastLr, clipFactor);
        step++;
        computeNanos += System.nanoTime() - computeStart;
        computeCpuNanos += THREAD_CPU.getCurrentThreadCpuTime() + workers.cpuNanos() - cpuStart;
        computeTokens += tokensSeen - tokensBefore;
        computeSteps++;

        boolean end = step == totalSteps;
        if (hp.evalEverySteps() > 0 && step % hp.evalEverySteps() == 0 && !end) {
          lastEvalLoss = evaluate().get("eval_loss");
        }
        if ((settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0) || end) {
          checkpoint();
        }
        if (step % settings.logEverySteps() == 0 || end) {
          long now = System.nanoTime();
          double seconds = (now - intervalStart) / 1e9;
          double perStep = (now - runStart) / 1e9 / Math.max(1, step - stepsAtStart);
          publish(new ProgressReport(step, totalSteps, plan.epochAt(micro),
              intervalTargets == 0 ? null : intervalLoss / intervalTargets, lastEvalLoss, lastLr,
              seconds > 0 ? intervalTokens / seconds : null, (long) Math.ceil(perStep * (totalSteps - step)),
              Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), lastCheckpoint));
          intervalStart = now;
          intervalTokens = 0;
          intervalLoss = 0;
          intervalTargets = 0;
        }
      }
      if (computeSteps > 0) {
        // libtorch runs every operation of a micro-batch on the thread that computes it (one intra-op thread;
        // autograd's CPU work runs on the thread that calls backward), so this thread's and the workers' CPU time is
        // the steps' compute, whatever else the machine is doing
        LOG.info("Training throughput: {} tokens/s ({} tokens in {} steps, {} s; evaluation and checkpoints excluded;"
            + " training threads' CPU {} s, {} tokens per CPU second)",
            String.format(Locale.ROOT, "%.1f", computeTokens / (computeNanos / 1e9)), computeTokens, computeSteps,
            String.format(Locale.ROOT, "%.3f", computeNanos / 1e9),
            String.format(Locale.ROOT, "%.3f", computeCpuNanos / 1e9),
            String.format(Locale.ROOT, "%.1f", computeTokens / (computeCpuNanos / 1e9)));
      }
      Map<String, Double> metrics = evaluate();
      lastEvalLoss = metrics.get("eval_loss");
      if (lastEvalLoss != null) {
        LOG.info("Evaluation: loss {} perplexity {} on {} tokens", String.format(Locale.ROOT, "%.4f", lastEvalLoss),
            String.format(Locale.ROOT, "%.3f", metrics.get("eval_perplexity")), metrics.get("eval_tokens").longValue());
      }
      publish(new ProgressReport(step, totalSteps, plan.epochAt(micro), null, lastEvalLoss, lastLr, null, 0L,
          Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), lastCheckpoint));
      return metrics;
    }

    /** One micro-batch's part of a step: its summed loss and counts, and its gradients unless already accumulated. */
    private record MicroResult(double lossTimesTargets, long targets, long tokens, NDManager owner,
        List<NDArray> gradients) {
      /** Adds the gradients (if any) to the parameters' accumulated ones, in parameter order, and frees them. */
      void addTo(java.util.Collection<NDArray> parameters, NDManager manager) {
        if (owner == null) {
          return;
        }
        try (NDManager scratch = manager.newSubManager()) {
          int i = 0;
          for (NDArray p : parameters) {
            NDArray accumulated = p.getGradient();
            accumulated.attach(scratch); // a new handle on the gradient; freed with the scratch manager
            accumulated.addi(gradients.get(i++));
          }
        } finally {
          owner.close();
        }
      }
    }

    /**
     * Forward and backward of micro-batch {@code b} on this thread, accumulating into the parameters' gradients (what
     * a lone training thread does for every micro-batch).
     */
    private MicroResult accumulate(int b, int microInStep, long stepTargets) {
      Batch batch = Batch.of(data.train(), plan.microBatch(b), padId);
      engine.setRandomSeed(microSeed(settings.hyper().seed(), step, microInStep));
      double weighted = 0;
      try (NDManager scratch = manager.newSubManager();
          GradientCollector collector = engine.newGradientCollector()) {
        NDArray loss = loss(batch, scratch, true);
        if (batch.targetTokens() > 0) {
          collector.backward(shareOfStep(loss, batch, stepTargets));
          float microLoss = loss.getFloat();
          weighted = (double) microLoss * batch.targetTokens();
          LOG.debug("step {} micro-batch {} loss {}", step, b, Float.toHexString(microLoss));
        }
      }
      return new MicroResult(weighted, batch.targetTokens(), batch.tokens(), null, List.of());
    }

    /**
     * Forward and backward of micro-batch {@code b} on a worker thread: the gradients are returned, not accumulated
     * (the training thread adds them in micro-batch order). Only for forward passes without random numbers.
     */
    private MicroResult gradients(int b, long stepTargets) {
      Batch batch = Batch.of(data.train(), plan.microBatch(b), padId);
      if (batch.targetTokens() == 0) {
        return new MicroResult(0, 0, batch.tokens(), null, List.of());
      }
      JniUtils.setGradMode(true);
      NDManager owner = manager.newSubManager();
      try (NDManager scratch = manager.newSubManager()) {
        NDArray loss = loss(batch, scratch, true);
        List<NDArray> grads = TorchKernels.get().gradients(shareOfStep(loss, batch, stepTargets), trainableList, owner);
        float microLoss = loss.getFloat();
        LOG.debug("step {} micro-batch {} loss {}", step, b, Float.toHexString(microLoss));
        return new MicroResult((double) microLoss * batch.targetTokens(), batch.targetTokens(), batch.tokens(), owner,
            grads);
      } catch (RuntimeException | Error e) {
        owner.close();
        throw e;
      }
    }

    /**
     * The model's mean loss over the batch's labelled positions, its arrays in {@code scratch}; the LM head runs only
     * where a label is (SFT: the answers).
     */
    private NDArray loss(Batch batch, NDManager scratch, boolean training) {
      Shape shape = new Shape(batch.rows(), batch.width());
      return model.trainingLoss(scratch.create(batch.inputIds(), shape), scratch.create(batch.segmentIds(), shape),
          scratch.create(batch.labels(), shape), training);
    }

    /** The micro-batch's loss weighted by its share of the step's target tokens, what backward starts from. */
    private static NDArray shareOfStep(NDArray loss, Batch batch, long stepTargets) {
      // not loss.mul(Number): its scalar may be freed before backward (see NdTensors.times)
      return NdTensors.times(loss, (float) ((double) batch.targetTokens() / stepTargets));
    }

    /** Whether every trainable parameter has its accumulated gradient (false until the run's first backward). */
    private boolean gradientsDefined() {
      if (!gradientsDefined) {
        boolean all = true;
        for (NDArray p : trainableList) {
          PtNDArray g = JniUtils.getGradient((PtNDArray) p);
          if (g == null) {
            all = false;
            break;
          }
          g.close();
        }
        gradientsDefined = all;
      }
      return gradientsDefined;
    }

    /** Mean loss over the evaluation examples' target tokens (no dropout, no gradients). */
    Map<String, Double> evaluate() {
      List<EncodedExample> eval = data.eval();
      if (eval.isEmpty()) {
        return Map.of();
      }
      int batchSize = settings.hyper().batchSize();
      // batches of similar lengths pad less; the mean over all target tokens does not depend on the grouping
      int[] order = java.util.stream.IntStream.range(0, eval.size()).boxed()
          .sorted(java.util.Comparator.comparingInt(i -> eval.get(i).length())).mapToInt(Integer::intValue).toArray();
      List<int[][]> batches = new ArrayList<>();
      for (int start = 0; start < eval.size(); start += batchSize) {
        int end = Math.min(eval.size(), start + batchSize);
        int[][] rows = new int[end - start][];
        for (int i = start; i < end; i++) {
          rows[i - start] = new int[] {order[i]};
        }
        batches.add(rows);
      }
      // the batches side by side on the workers, summed in batch order (the same sum for any number of workers)
      double lossSum = 0;
      long targets = 0;
      for (int first = 0; first < batches.size(); first += workers.size()) {
        int from = first;
        for (double[] r : workers.map(Math.min(workers.size(), batches.size() - first),
            i -> evaluationLoss(Batch.of(eval, batches.get(from + i), padId)))) {
          lossSum += r[0];
          targets += (long) r[1];
        }
      }
      double loss = lossSum / Math.max(1, targets);
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("eval_loss", loss);
      m.put("eval_perplexity", Math.exp(loss));
      m.put("eval_tokens", (double) targets);
      return m;
    }

    /** {@code {loss * target tokens, target tokens}} of one evaluation batch, without autograd. */
    private double[] evaluationLoss(Batch batch) {
      if (batch.targetTokens() == 0) {
        return new double[2];
      }
      boolean gradMode = JniUtils.isGradMode();
      JniUtils.setGradMode(false);
      try (NDManager scratch = manager.newSubManager()) {
        float loss = loss(batch, scratch, false).getFloat();
        return new double[] {(double) loss * batch.targetTokens(), batch.targetTokens()};
      } finally {
        JniUtils.setGradMode(gradMode);
      }
    }

    private void checkpoint() throws IOException {
      String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      CheckpointState state = new CheckpointState(CheckpointState.FORMAT, step, micro, totalSteps,
          settings.hyper().seed(), lastLr, fingerprint, time);
      Path dir = store.write(state, tmp -> {
        if (adapter == null) {
          model.save(tmp);
        } else {
          adapter.save(tmp, settings.baseModelUri());
        }
        SafetensorsWriter moments = new SafetensorsWriter().metadata("kamado.step", Long.toString(step));
        for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
          long[] shape = e.getValue().getShape().getShape();
          NDArray m = optimizer.firstMoments().get(e.getKey());
          NDArray v = optimizer.secondMoments().get(e.getKey());
          moments.add("exp_avg." + e.getKey(), DType.F32, shape, m::toFloatArray);
          moments.add("exp_avg_sq." + e.getKey(), DType.F32, shape, v::toFloatArray);
        }
        moments.write(tmp.resolve(OPTIMIZER_FILE));
      });
      lastCheckpoint = new ProgressReport.Checkpoint(step, relative(dir), time);
      LOG.info("Checkpoint {} written", dir);
    }

    private String relative(Path dir) {
      Path out = settings.output().toAbsolutePath().normalize();
      Path d = dir.toAbsolutePath().normalize();
      return d.startsWith(out) ? out.relativize(d).toString() : d.toString();
    }
  }

  /** The dropout seed of one micro-batch: a mix of (seed, step, micro-batch within the step). */
  static int microSeed(long seed, long step, int microInStep) {
    long h = seed * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL + microInStep * 0x165667B19E3779F9L;
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    return (int) (h & 0x7FFFFFFF);
  }
}
