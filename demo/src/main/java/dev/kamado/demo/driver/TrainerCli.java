package dev.kamado.demo.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How the demo calls the trainer jar. The one place that knows its command line:
 * <ul>
 *   <li>{@code init-model --output DIR --tokenizer-corpus FILE --vocab N --hidden N --layers N --heads N
 *       --kv-heads N --intermediate N --max-position N --seed N}: a randomly initialised Llama-family model with
 *       a byte-level BPE tokenizer trained on the corpus (plain UTF-8 text);</li>
 *   <li>{@code train --config FILE --log-every 5} (the file also named by {@code KAMADO_CONFIG}): a run described by a
 *       {@code TrainingConfig} JSON, exactly what the operator mounts as {@code /etc/kamado/training.json}.
 *       Progress comes back as log lines such as {@code step 120/1000 (12%) epoch 0.36 loss 2.3412 ...}
 *       (read by {@link LossLog}).</li>
 * </ul>
 */
public final class TrainerCli {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TrainerCli() {}

  /** The size of the demo model. */
  public record ModelSize(int vocabSize, int hiddenSize, int layers, int heads, int kvHeads, int intermediateSize,
      int maxPositions) {}

  /** Arguments of {@code init-model}. */
  public static List<String> initModelArgs(Path output, Path tokenizerCorpus, ModelSize size, long seed) {
    return List.of("init-model", "--output", output.toString(), "--tokenizer-corpus", tokenizerCorpus.toString(),
        "--vocab", Integer.toString(size.vocabSize()), "--hidden", Integer.toString(size.hiddenSize()),
        "--layers", Integer.toString(size.layers()), "--heads", Integer.toString(size.heads()),
        "--kv-heads", Integer.toString(size.kvHeads()), "--intermediate", Integer.toString(size.intermediateSize()),
        "--max-position", Integer.toString(size.maxPositions()), "--seed", Long.toString(seed));
  }

  /** Arguments of {@code train}. */
  public static List<String> trainArgs(Path config) {
    return List.of("train", "--config", config.toString(), "--log-every", "5");
  }

  /** Settings of one training stage. */
  public record Stage(String name, String objective, String format, Path base, Path dataset, Path evalDataset,
      Path output, int epochs, Long maxSteps, int batchSize, int microBatches, double learningRate,
      int maxSequenceLength, long seed) {
    /** Checks that the batch splits evenly. */
    public Stage {
      if (microBatches < 1 || batchSize % microBatches != 0) {
        throw new IllegalArgumentException("batch size " + batchSize + " does not split into " + microBatches
            + " micro-batches of equal size");
      }
    }
  }

  /**
   * Writes the stage's {@code TrainingConfig} JSON (version 1, every location given as both a {@code file://} URI and
   * a path, full fine-tuning) and returns its path.
   */
  public static Path writeConfig(Stage s, Path file) throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("version", 1);
    c.put("name", s.name());
    c.put("objective", s.objective());
    location(c.putObject("baseModel"), s.base());
    ObjectNode d = c.putObject("dataset");
    d.put("uri", s.dataset().toUri().toString());
    d.put("path", s.dataset().toString());
    d.put("format", s.format());
    if (s.evalDataset() != null) {
      d.put("evalUri", s.evalDataset().toUri().toString());
      d.put("evalPath", s.evalDataset().toString());
    }
    d.put("maxSequenceLength", s.maxSequenceLength());
    d.put("invalidExamples", "fail");
    // One example per row in batches of similar length, also for the text stage: the corpus and archive texts are
    // short, and rows packed to maxSequenceLength would spend most of their time on masked attention (measured:
    // 4x fewer tokens/s than length-grouped rows on the demo's pre-training data).
    d.put("packing", false);
    d.put("groupByLength", true);
    c.put("method", "full");
    ObjectNode h = c.putObject("hyperParameters");
    h.put("epochs", s.epochs());
    if (s.maxSteps() != null) {
      h.put("maxSteps", s.maxSteps());
    }
    // the step's examples in micro-batches, which the trainer computes side by side on its worker threads (one per
    // core); the arithmetic is the same for any number of workers
    h.put("batchSize", s.batchSize() / s.microBatches());
    h.put("gradientAccumulationSteps", s.microBatches());
    h.put("learningRate", s.learningRate());
    h.put("weightDecay", 0.0);
    h.put("warmupRatio", 0.05);
    h.put("schedule", "cosine");
    h.put("maxGradNorm", 1.0);
    h.put("seed", s.seed());
    // about a dozen evaluation points over a fine-tuning run: one pass over 200 validation inquiries costs about as
    // much as 4 training steps (13 forward-only batches), so evaluating every 50 steps took 8% of the stage
    h.put("evalEverySteps", 125);
    h.put("precision", "fp32");
    ObjectNode ck = c.putObject("checkpoint");
    ck.put("path", s.output().resolve("checkpoints").toString());
    ck.put("everySteps", 1000);
    ck.put("keep", 1);
    location(c.putObject("output"), s.output());
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, JSON.writeValueAsString(c) + "\n");
    return file;
  }

  private static void location(ObjectNode node, Path path) {
    node.put("uri", path.toUri().toString());
    node.put("path", path.toString());
  }
}
