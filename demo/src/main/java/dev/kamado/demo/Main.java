package dev.kamado.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.demo.data.CorpusGenerator;
import dev.kamado.demo.data.DatasetFiles;
import dev.kamado.demo.data.DeadlineMix;
import dev.kamado.demo.data.PhraseBook;
import dev.kamado.demo.data.TriageDataset;
import dev.kamado.demo.data.TriageRecord;
import dev.kamado.demo.driver.DemoRun;
import dev.kamado.demo.driver.TrainerCli;
import dev.kamado.demo.eval.TriageEvaluator;
import dev.kamado.demo.report.DemoReport;
import dev.kamado.demo.report.ReadmeTable;
import dev.kamado.demo.report.Tables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar kamado-demo.jar}: the internal-inquiry triage demo. */
@Command(name = "kamado-demo", mixinStandardHelpOptions = true, version = "kamado-demo 0.1.0",
    description = "The internal-inquiry triage demo: data, training, serving, evaluation, report.",
    subcommands = {Main.Run.class, Main.Generate.class, Main.Evaluate.class, Main.ReadmeTableCommand.class})
public final class Main implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with one-line error messages instead of stack traces. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      line.getErr().println("kamado-demo: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
    return cl;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.err);
    return 2;
  }

  /** Options shared by the commands that generate data. */
  static class DataOptions {
    @Option(names = "--seed", defaultValue = "20261128", description = "Generator seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--train", defaultValue = "2000", description = "Training inquiries (default ${DEFAULT-VALUE}).")
    int train;
    @Option(names = "--validation", defaultValue = "200", description = "Validation inquiries (default ${DEFAULT-VALUE}).")
    int validation;
    @Option(names = "--test", defaultValue = "200", description = "Test inquiries (default ${DEFAULT-VALUE}).")
    int test;
    @Option(names = "--corpus-documents", defaultValue = "400",
        description = "Policy/FAQ documents for continued pre-training (default ${DEFAULT-VALUE}).")
    int corpusDocuments;
    @Option(names = "--archive-inquiries", defaultValue = "8000",
        description = "Unlabelled past inquiries (an archive without records, as a ticket system holds them) added to "
            + "the continued pre-training data (default ${DEFAULT-VALUE}).")
    int archiveInquiries;

    @Option(names = "--train-relative-deadlines", defaultValue = "18",
        description = "Percent of the training inquiries with a deadline whose deadline is relative (tomorrow, next "
            + "Friday, 今月末...); validation and test keep the natural 18 (default ${DEFAULT-VALUE}).")
    int trainRelativeDeadlines;
    @Option(names = "--train-full-width-dates", defaultValue = "14",
        description = "Percent of the Japanese absolute deadlines of the training split written in full-width digits; "
            + "validation and test keep the natural 14 (default ${DEFAULT-VALUE}).")
    int trainFullWidthDates;

    DeadlineMix trainingDeadlines() {
      return new DeadlineMix(trainRelativeDeadlines, trainFullWidthDates);
    }

    TriageDataset.Sizes sizes() {
      return new TriageDataset.Sizes(train, validation, test);
    }
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Write the triage dataset (chat JSONL splits, raw records, schema) and the domain corpus.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "target/demo/data", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;
    @CommandLine.Mixin
    DataOptions data = new DataOptions();

    @Override
    public Integer call() throws IOException {
      TriageDataset dataset = TriageDataset.generate(data.seed, data.sizes(), data.trainingDeadlines());
      DatasetFiles.write(dataset, out);
      new CorpusGenerator(data.seed, PhraseBook.standard()).write(out.resolve("corpus.jsonl"), data.corpusDocuments);
      if (data.archiveInquiries > 0) {
        DatasetFiles.writeTexts(TriageDataset.archive(data.seed, data.archiveInquiries, dataset),
            out.resolve("archive.jsonl"));
      }
      System.err.printf("wrote %d/%d/%d inquiries, %d corpus documents and %d archive inquiries to %s%n",
          dataset.train().size(), dataset.validation().size(), dataset.test().size(), data.corpusDocuments,
          data.archiveInquiries, out);
      return 0;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "The whole demo: data, init-model, continued pre-training, fine-tuning, serving, evaluation, "
          + "report.json, summary and charts.")
  static final class Run implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "target/demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--trainer-jar", defaultValue = "trainer-image/target/kamado-trainer.jar",
        description = "The trainer jar (default ${DEFAULT-VALUE}).")
    Path trainerJar;
    @Option(names = "--server-jar", defaultValue = "server-image/target/kamado-server.jar",
        description = "The server jar (default ${DEFAULT-VALUE}).")
    Path serverJar;
    @CommandLine.Mixin
    DataOptions data = new DataOptions();
    @Option(names = "--continued-pretraining", negatable = true, defaultValue = "true",
        description = "Continue pre-training on the domain corpus and the unlabelled archive before fine-tuning, "
            + "chained as two FineTuneJobs would be (default on: it teaches the model to read inquiries).")
    boolean cpt;
    @Option(names = "--cpt-epochs", defaultValue = "1",
        description = "Continued pre-training epochs (default ${DEFAULT-VALUE}).") int cptEpochs;
    @Option(names = "--sft-epochs", defaultValue = "13",
        description = "Fine-tuning epochs (default ${DEFAULT-VALUE}).") int sftEpochs;
    @Option(names = "--batch-size", defaultValue = "16",
        description = "Examples per optimizer step (default ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--micro-batches", defaultValue = "2",
        description = "Micro-batches per step, computed side by side by the trainer's worker threads, one per core "
            + "(default ${DEFAULT-VALUE}; the result does not depend on the number of cores).") int microBatches;
    @Option(names = "--cpt-learning-rate", defaultValue = "0.003",
        description = "Continued pre-training peak learning rate (default ${DEFAULT-VALUE}).") double cptLr;
    @Option(names = "--sft-learning-rate", defaultValue = "0.003",
        description = "Fine-tuning peak learning rate (default ${DEFAULT-VALUE}).") double sftLr;
    @Option(names = "--max-sequence-length", defaultValue = "512",
        description = "Longest training example in tokens (default ${DEFAULT-VALUE}).") int maxSeq;
    @Option(names = "--vocab-size", defaultValue = "4096",
        description = "Tokenizer vocabulary size (trained by init-model) (default ${DEFAULT-VALUE}).") int vocab;
    @Option(names = "--hidden-size", defaultValue = "128",
        description = "Model hidden size (default ${DEFAULT-VALUE}).") int hidden;
    @Option(names = "--layers", defaultValue = "4",
        description = "Transformer layers (default ${DEFAULT-VALUE}).") int layers;
    @Option(names = "--heads", defaultValue = "4",
        description = "Attention heads (default ${DEFAULT-VALUE}).") int heads;
    @Option(names = "--kv-heads", defaultValue = "2",
        description = "Key/value heads (default ${DEFAULT-VALUE}).") int kvHeads;
    @Option(names = "--intermediate-size", defaultValue = "384",
        description = "MLP intermediate size (default ${DEFAULT-VALUE}).") int intermediate;
    @Option(names = "--max-positions", defaultValue = "4096",
        description = "Context length of the model (default ${DEFAULT-VALUE}).") int maxPositions;
    @Option(names = "--concurrency", defaultValue = "8",
        description = "Requests in flight while measuring (default ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--few-shot-examples", defaultValue = "4",
        description = "Worked examples in the few-shot prompt (default ${DEFAULT-VALUE}).") int fewShot;
    @Option(names = "--few-shot-limit", defaultValue = "24",
        description = "Test inquiries also sent with the few-shot prompt (the first N; default ${DEFAULT-VALUE}): "
            + "its prompts are long, so a sample keeps the run short.")
    int fewShotLimit;
    @Option(names = "--max-tokens", defaultValue = "200",
        description = "max_tokens of every request (default ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--trainer-jvm-arg", description = "Extra JVM argument for the trainer (repeatable).")
    List<String> trainerJvmArgs = new ArrayList<>();
    @Option(names = "--server-arg", description = "Extra argument for the server (repeatable).")
    List<String> serverArgs = new ArrayList<>();
    @Option(names = "--server-ready-timeout", defaultValue = "180", description = "Seconds (default ${DEFAULT-VALUE}).")
    int readyTimeout;

    @Override
    public Integer call() throws IOException, InterruptedException {
      DemoRun.Options o = new DemoRun.Options(out, trainerJar, serverJar, data.seed, data.sizes(),
          data.trainingDeadlines(),
          data.corpusDocuments, data.archiveInquiries, cpt, cptEpochs, sftEpochs, batchSize, microBatches, cptLr, sftLr, maxSeq,
          new TrainerCli.ModelSize(vocab, hidden, layers, heads, kvHeads, intermediate, maxPositions), concurrency,
          fewShot, fewShotLimit, maxTokens, trainerJvmArgs, serverArgs, Duration.ofSeconds(readyTimeout));
      // Ctrl-C must not leave a trainer or server behind.
      Runtime.getRuntime().addShutdownHook(new Thread(() ->
          ProcessHandle.current().descendants().forEach(ProcessHandle::destroy)));
      new DemoRun(o, System.err).run();
      return 0;
    }
  }

  @Command(name = "evaluate", mixinStandardHelpOptions = true,
      description = "Score answers against records: schema validity, field accuracy, summary chrF. Prints JSON.")
  static final class Evaluate implements Callable<Integer> {
    @Option(names = "--records", required = true,
        description = "records-<split>.jsonl written by generate ({\"id\",\"record\"} per line).")
    Path records;
    @Option(names = "--answers", required = true,
        description = "JSONL with {\"id\",\"answer\"} per line; answer is the model's raw text.")
    Path answers;

    @Override
    public Integer call() throws IOException {
      Map<String, TriageRecord> byId = new HashMap<>();
      List<String> order = new ArrayList<>();
      JsonNode schema = JSON.readTree(DatasetFiles.schemaText());
      dev.kamado.demo.eval.SchemaChecker checker = new dev.kamado.demo.eval.SchemaChecker(schema);
      readJsonl(records, (line, n) -> {
        String id = require(n, "id", records, line).asText();
        JsonNode record = require(n, "record", records, line);
        List<String> violations = checker.violations(record);
        if (!violations.isEmpty()) {
          throw new IOException(records + " line " + line + ": record breaks the triage schema: "
              + violations.get(0));
        }
        byId.put(id, JSON.treeToValue(record, TriageRecord.class));
        order.add(id);
      });
      Map<String, String> answerById = new HashMap<>();
      readJsonl(answers, (line, n) -> answerById.put(require(n, "id", answers, line).asText(),
          require(n, "answer", answers, line).asText()));
      List<TriageRecord> expected = new ArrayList<>();
      List<String> got = new ArrayList<>();
      for (String id : order) {
        if (answerById.containsKey(id)) {
          expected.add(byId.get(id));
          got.add(answerById.get(id));
        }
      }
      if (expected.isEmpty()) {
        throw new IOException(answers + ": no answer has an id found in " + records);
      }
      TriageEvaluator.EvaluationResult r = new TriageEvaluator(schema).evaluate(expected, got);
      ObjectNode outNode = JSON.createObjectNode();
      outNode.put("count", r.count());
      outNode.put("schema_valid_rate", r.schemaValidRate());
      outNode.put("field_accuracy", r.fieldAccuracy());
      outNode.set("field_accuracy_by_field", JSON.valueToTree(r.fieldAccuracyByField()));
      outNode.put("summary_chrf", r.summaryChrf());
      System.out.println(JSON.writeValueAsString(outNode));
      return 0;
    }

    interface LineHandler {
      void accept(int line, JsonNode node) throws IOException;
    }

    static void readJsonl(Path file, LineHandler handler) throws IOException {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        JsonNode n;
        try {
          n = JSON.readTree(lines.get(i));
        } catch (IOException e) {
          throw new IOException(file + " line " + (i + 1) + ": not JSON", e);
        }
        handler.accept(i + 1, n);
      }
    }

    static JsonNode require(JsonNode n, String field, Path file, int line) throws IOException {
      if (!n.hasNonNull(field)) {
        throw new IOException(file + " line " + line + ": missing field \"" + field + "\"");
      }
      return n.get(field);
    }
  }

  @Command(name = "readme-table", mixinStandardHelpOptions = true,
      description = "Rewrite the 'Why a small task model' table between <!-- demo-table:start --> and "
          + "<!-- demo-table:end --> from report.json.")
  static final class ReadmeTableCommand implements Callable<Integer> {
    @Option(names = "--report", defaultValue = "target/demo/report.json") Path report;
    @Option(names = "--readme", defaultValue = "README.md") Path readme;

    @Override
    public Integer call() throws IOException {
      ReadmeTable.rewrite(readme, Tables.whySmallModel(DemoReport.read(report)));
      System.err.println("rewrote the demo table in " + readme + " from " + report);
      return 0;
    }
  }
}
