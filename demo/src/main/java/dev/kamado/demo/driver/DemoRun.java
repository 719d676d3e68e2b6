package dev.kamado.demo.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.demo.data.CorpusGenerator;
import dev.kamado.demo.data.DatasetFiles;
import dev.kamado.demo.data.DeadlineMix;
import dev.kamado.demo.data.Inquiry;
import dev.kamado.demo.data.PhraseBook;
import dev.kamado.demo.data.TriageDataset;
import dev.kamado.demo.data.TriageRecord;
import dev.kamado.demo.eval.LatencyStats;
import dev.kamado.demo.eval.TriageEvaluator;
import dev.kamado.demo.prompt.ChatMessage;
import dev.kamado.demo.prompt.PromptBuilder;
import dev.kamado.demo.report.DemoReport;
import dev.kamado.demo.report.SvgChart;
import dev.kamado.demo.report.Tables;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole demo on one machine: generate the data, create the demo model with the trainer jar, optionally
 * continue pre-training it on the domain corpus, fine-tune it on the triage examples, serve it with the server jar,
 * send every test inquiry (short prompt and few-shot prompt), check determinism across concurrency and server
 * processes, and write the report, the summary and the charts into the output folder.
 */
public final class DemoRun {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Everything the run can be told. */
  public record Options(Path out, Path trainerJar, Path serverJar, long seed, TriageDataset.Sizes sizes,
      DeadlineMix trainingDeadlines,
      int corpusDocuments, int archiveInquiries, boolean continuedPretraining, int cptEpochs, int sftEpochs, int batchSize,
      int microBatches,
      double cptLearningRate, double sftLearningRate, int maxSequenceLength, TrainerCli.ModelSize modelSize,
      int concurrency, int fewShotExamples, int fewShotLimit, int maxTokens, List<String> trainerJvmArgs, List<String> serverArgs,
      Duration serverReadyTimeout) {}

  private final Options o;
  private final PrintStream log;
  private final Map<String, Double> phaseSeconds = new LinkedHashMap<>();

  public DemoRun(Options options, PrintStream log) {
    this.o = options;
    this.log = log;
  }

  /** Runs every step; returns the report. */
  public DemoReport run() throws IOException, InterruptedException {
    Path out = o.out().toAbsolutePath();
    Path data = out.resolve("data");
    Path models = out.resolve("models");
    Path logs = out.resolve("logs");
    // A previous run's models would make the trainer resume a finished run instead of training.
    for (Path own : List.of(data, models, logs, out.resolve("configs"))) {
      deleteTree(own);
    }
    Files.createDirectories(logs);

    // 1. Data.
    long t0 = System.nanoTime();
    TriageDataset dataset = TriageDataset.generate(o.seed(), o.sizes(), o.trainingDeadlines());
    DatasetFiles.write(dataset, data);
    new CorpusGenerator(o.seed(), PhraseBook.standard()).write(data.resolve("corpus.jsonl"), o.corpusDocuments());
    // Continued pre-training reads a folder: the policy/FAQ corpus and, optionally, unlabelled archive inquiries.
    Path pretraining = data.resolve("pretraining");
    Files.createDirectories(pretraining);
    Files.copy(data.resolve("corpus.jsonl"), pretraining.resolve("corpus.jsonl"));
    if (o.archiveInquiries() > 0) {
      DatasetFiles.writeTexts(TriageDataset.archive(o.seed(), o.archiveInquiries(), dataset),
          pretraining.resolve("archive.jsonl"));
    }
    Path tokenizerCorpus = writeTokenizerCorpus(dataset, data);
    phase("generate data", t0);
    log.printf("data: %d train / %d validation / %d test inquiries, %d corpus documents, %d archive inquiries in %s%n",
        dataset.train().size(), dataset.validation().size(), dataset.test().size(), o.corpusDocuments(),
        o.archiveInquiries(), data);

    // 2. Model.
    Path base = models.resolve("base");
    t0 = System.nanoTime();
    runTrainer("init-model", TrainerCli.initModelArgs(base, tokenizerCorpus, o.modelSize(), o.seed()), null,
        logs.resolve("init-model.log"), null);
    phase("init-model", t0);

    // 3. Training: continued pre-training (optional), then fine-tuning.
    LossLog losses = new LossLog();
    double trainSeconds = 0;
    Path sftBase = base;
    if (o.continuedPretraining()) {
      Path cpt = models.resolve("domain");
      TrainerCli.Stage stage = new TrainerCli.Stage("triage-demo-cpt", "continued-pretraining", "text", base,
          pretraining, null, cpt, o.cptEpochs(), null, o.batchSize(), o.microBatches(),
          o.cptLearningRate(),
          o.maxSequenceLength(), o.seed());
      trainSeconds += train(stage, "continued pre-training", losses, logs);
      sftBase = cpt;
    }
    Path triage = models.resolve("triage");
    TrainerCli.Stage sft = new TrainerCli.Stage("triage-demo-sft", "sft", "chat", sftBase, data.resolve("train.jsonl"),
        data.resolve("validation.jsonl"), triage, o.sftEpochs(), null, o.batchSize(), o.microBatches(),
        o.sftLearningRate(),
        o.maxSequenceLength(), o.seed());
    trainSeconds += train(sft, "fine-tuning", losses, logs);

    // 4. Serving and evaluation.
    JsonNode schema = JSON.readTree(DatasetFiles.schemaText());
    Path schemaFile = data.resolve("triage-schema.json");
    PromptBuilder prompts = new PromptBuilder(DatasetFiles.schemaText(),
        PromptBuilder.pickExamples(dataset.train(), o.fewShotExamples()));
    List<List<ChatMessage>> shortPrompts = dataset.test().stream().map(prompts::finetuned).toList();
    List<Inquiry> fewShotTest = dataset.test().subList(0, Math.min(dataset.test().size(), o.fewShotLimit()));
    List<List<ChatMessage>> fewShotPrompts = fewShotTest.stream().map(prompts::fewShot).toList();
    LoadRunner.Batch finetuned;
    LoadRunner.Batch fewShot;
    LoadRunner.Batch sequential;
    LoadRunner.Batch secondServer;
    t0 = System.nanoTime();
    try (ServerProcess server = startServer(triage, schemaFile, logs.resolve("server-1.log"))) {
      ChatClient client = new ChatClient(server.base(), Duration.ofMinutes(5));
      finetuned = send(client, "test set, trained prompt", shortPrompts, schema, o.concurrency());
      fewShot = send(client, "test set, few-shot prompt", fewShotPrompts, schema, o.concurrency());
      sequential = send(client, "determinism: concurrency 1", shortPrompts, schema, 1);
    }
    try (ServerProcess server = startServer(triage, schemaFile, logs.resolve("server-2.log"))) {
      ChatClient client = new ChatClient(server.base(), Duration.ofMinutes(5));
      secondServer = send(client, "determinism: 2nd server", shortPrompts, schema, o.concurrency());
    }
    phase("serve and evaluate", t0);

    // 5. Report.
    List<TriageRecord> expected = dataset.test().stream().map(Inquiry::record).toList();
    TriageEvaluator evaluator = new TriageEvaluator(schema);
    TriageEvaluator.EvaluationResult result = evaluator.evaluate(expected, finetuned.contents());
    TriageEvaluator.EvaluationResult fewShotResult = evaluator.evaluate(
        fewShotTest.stream().map(Inquiry::record).toList(), fewShot.contents());
    boolean sameAcrossConcurrency = finetuned.contents().equals(sequential.contents());
    boolean sameAcrossServers = finetuned.contents().equals(secondServer.contents());
    LatencyStats ftLatency = LatencyStats.of(finetuned.latenciesMs(), finetuned.wallSeconds());
    LatencyStats fsLatency = LatencyStats.of(fewShot.latenciesMs(), fewShot.wallSeconds());
    DemoReport report = new DemoReport(result.schemaValidRate(), result.fieldAccuracy(),
        result.fieldAccuracyByField(), result.summaryChrf(), trainSeconds, finetuned.meanPromptTokens(),
        fewShot.meanPromptTokens(), ftLatency.p50(), fsLatency.p50(), ftLatency.requestsPerSecond(),
        fsLatency.requestsPerSecond(), sameAcrossConcurrency && sameAcrossServers);
    report.write(out.resolve("report.json"));
    writeDetails(out, result, fewShotResult, ftLatency, fsLatency, finetuned, fewShot, sameAcrossConcurrency,
        sameAcrossServers);
    writeAnswers(out.resolve("answers-finetuned.jsonl"), dataset.test(), finetuned, result);
    writeAnswers(out.resolve("answers-fewshot.jsonl"), fewShotTest, fewShot, fewShotResult);
    Files.writeString(out.resolve("summary.txt"), Tables.summaryText(report));
    Files.writeString(out.resolve("summary.md"), Tables.summaryMarkdown(report));
    Files.writeString(out.resolve("why-small-model.md"), "## Why a small task model\n\n" + Tables.whySmallModel(report));
    writeCharts(out, losses, finetuned, fewShot);
    log.println();
    log.print(Tables.summaryText(report));
    log.println("report: " + out.resolve("report.json"));
    return report;
  }

  private ServerProcess startServer(Path model, Path schema, Path logFile) throws IOException, InterruptedException {
    log.println("starting the server on " + model + " (log: " + logFile + ")");
    return ServerProcess.start(o.serverJar(), model, schema, o.serverArgs(), logFile, o.serverReadyTimeout());
  }

  private LoadRunner.Batch send(ChatClient client, String label, List<List<ChatMessage>> prompts, JsonNode schema,
      int concurrency) throws IOException, InterruptedException {
    try (ProgressBar bar = new ProgressBar(label, prompts.size(), System.err)) {
      return LoadRunner.run(client, prompts, schema, o.maxTokens(), concurrency, bar);
    }
  }

  private double train(TrainerCli.Stage stage, String label, LossLog losses, Path logs)
      throws IOException, InterruptedException {
    Path config = TrainerCli.writeConfig(stage, o.out().toAbsolutePath().resolve("configs/" + stage.name() + ".json"));
    long start = System.nanoTime();
    runTrainer(label, TrainerCli.trainArgs(config), config, logs.resolve(stage.name() + ".log"),
        line -> losses.accept(stage.name(), line));
    double seconds = (System.nanoTime() - start) / 1e9;
    losses.readFiles(stage.name(), stage.output());
    phaseSeconds.put(label, seconds);
    return seconds;
  }

  private void runTrainer(String label, List<String> args, Path config, Path logFile,
      java.util.function.Consumer<String> listener) throws IOException, InterruptedException {
    Map<String, String> env = config == null ? Map.of() : Map.of("KAMADO_CONFIG", config.toString());
    try (ProgressBar bar = new ProgressBar(label, 1, System.err)) {
      JavaProcess p = JavaProcess.start(o.trainerJar(), o.trainerJvmArgs(), args, env, logFile, line -> {
        if (listener != null) {
          listener.accept(line);
        }
        LossLog.Point point = LossLog.parse(label, line.strip());
        if (point != null && point.totalSteps() > 0) {
          bar.update(point.step(), point.totalSteps(), Double.isNaN(point.loss()) ? ""
              : String.format(java.util.Locale.ROOT, "loss %.3f", point.loss()));
        }
      });
      try {
        p.awaitSuccess(label, logFile);
      } finally {
        p.close();
      }
      bar.update(1, 1, "done");
    }
  }

  private Path writeTokenizerCorpus(TriageDataset dataset, Path data) throws IOException {
    Path file = data.resolve("tokenizer-corpus.txt");
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String doc : new CorpusGenerator(o.seed(), PhraseBook.standard()).documents(o.corpusDocuments())) {
        w.write(doc);
        w.write("\n\n");
      }
      for (Inquiry q : dataset.train()) {
        w.write(q.text());
        w.write("\n");
        w.write(q.record().toJson());
        w.write("\n\n");
      }
    }
    return file;
  }

  private void writeDetails(Path out, TriageEvaluator.EvaluationResult ft, TriageEvaluator.EvaluationResult fs,
      LatencyStats ftLat, LatencyStats fsLat, LoadRunner.Batch ftBatch, LoadRunner.Batch fsBatch,
      boolean sameAcrossConcurrency, boolean sameAcrossServers) throws IOException {
    ObjectNode d = JSON.createObjectNode();
    d.put("test_inquiries", ft.count());
    d.put("concurrency", o.concurrency());
    d.put("few_shot_examples", o.fewShotExamples());
    d.put("few_shot_requests", fs.count());
    d.put("identical_across_concurrency", sameAcrossConcurrency);
    d.put("identical_across_server_processes", sameAcrossServers);
    d.set("latency_ms_finetuned", JSON.valueToTree(ftLat));
    d.set("latency_ms_fewshot", JSON.valueToTree(fsLat));
    d.put("completion_tokens_finetuned",
        ftBatch.completions().stream().mapToInt(ChatClient.Completion::completionTokens).average().orElse(0));
    d.put("completion_tokens_fewshot",
        fsBatch.completions().stream().mapToInt(ChatClient.Completion::completionTokens).average().orElse(0));
    ObjectNode few = d.putObject("fewshot_prompt_on_the_trained_model");
    few.put("schema_valid_rate", fs.schemaValidRate());
    few.put("field_accuracy", fs.fieldAccuracy());
    few.set("field_accuracy_by_field", JSON.valueToTree(fs.fieldAccuracyByField()));
    few.put("summary_chrf", fs.summaryChrf());
    d.set("model_size", JSON.valueToTree(o.modelSize()));
    d.set("phase_seconds", JSON.valueToTree(phaseSeconds));
    Files.writeString(out.resolve("report-details.json"), JSON.writeValueAsString(d) + "\n");
  }

  private static void writeAnswers(Path file, List<Inquiry> test, LoadRunner.Batch batch,
      TriageEvaluator.EvaluationResult result) throws IOException {
    ObjectMapper compact = new ObjectMapper();
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < test.size(); i++) {
        ObjectNode line = compact.createObjectNode();
        line.put("id", test.get(i).id());
        line.put("answer", batch.completions().get(i).content());
        line.put("expected", test.get(i).record().toJson());
        line.put("schema_valid", result.answers().get(i).schemaValid());
        line.set("field_matches", compact.valueToTree(result.answers().get(i).fieldMatches()));
        line.put("prompt_tokens", batch.completions().get(i).promptTokens());
        line.put("latency_ms", batch.completions().get(i).latencyMs());
        w.write(compact.writeValueAsString(line));
        w.write('\n');
      }
    }
  }

  /** Loss curve and latency charts. */
  static void writeCharts(Path out, LossLog losses, LoadRunner.Batch finetuned, LoadRunner.Batch fewShot)
      throws IOException {
    List<SvgChart.Series> curves = new ArrayList<>();
    String[] colors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
    Map<String, List<LossLog.Point>> byStage = new LinkedHashMap<>();
    for (LossLog.Point p : losses.points()) {
      byStage.computeIfAbsent(p.stage(), k -> new ArrayList<>()).add(p);
    }
    long offset = 0;
    int color = 0;
    for (Map.Entry<String, List<LossLog.Point>> e : byStage.entrySet()) {
      List<LossLog.Point> train = e.getValue().stream().filter(p -> !Double.isNaN(p.loss())).toList();
      List<LossLog.Point> eval = e.getValue().stream().filter(p -> !Double.isNaN(p.evalLoss())).toList();
      final long base = offset;
      curves.add(new SvgChart.Series(e.getKey() + " loss", colors[color++ % colors.length],
          train.stream().mapToDouble(p -> base + p.step()).toArray(), train.stream().mapToDouble(LossLog.Point::loss)
              .toArray()));
      if (!eval.isEmpty()) {
        curves.add(new SvgChart.Series(e.getKey() + " eval loss", colors[color++ % colors.length],
            eval.stream().mapToDouble(p -> base + p.step()).toArray(),
            eval.stream().mapToDouble(LossLog.Point::evalLoss).toArray()));
      }
      offset += e.getValue().stream().mapToLong(LossLog.Point::step).max().orElse(0);
    }
    Files.writeString(out.resolve("loss.svg"), SvgChart.lines("Training loss", "optimizer step (stages in order)",
        "loss", curves));
    SvgChart.Series ft = SvgChart.cdf("trained model, short prompt", "#1f77b4", finetuned.latenciesMs());
    SvgChart.Series fs = SvgChart.cdf("few-shot prompt", "#ff7f0e", fewShot.latenciesMs());
    Files.writeString(out.resolve("latency-cdf.svg"), SvgChart.lines("Request latency (CDF)", "latency (ms)",
        "share of requests", List.of(ft, fs)));
    Files.writeString(out.resolve("latency-histogram.svg"), SvgChart.histogram("Request latency", "latency (ms)",
        List.of(ft, fs), 30));
  }

  /** Deletes a folder the demo wrote in an earlier run, with everything in it. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private void phase(String name, long startNanos) {
    phaseSeconds.put(name, (System.nanoTime() - startNanos) / 1e9);
  }
}
