package dev.kamado.model.llama;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import dev.kamado.model.ModelConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Milliseconds per decode step of the model core at batch 1, 4 and 16, for each way {@link LlamaModel#decode} can
 * compute its projections, measured in the same run (run with {@code -Pbench}): the adopted one and the earlier ones,
 * on the random 58.5M-parameter config of the server benchmark and on a demo-sized one. Every variant decodes the same
 * sequences in turn, several rounds, and keeps its fastest step in CPU time of the decoding thread (the machine may be
 * shared: CPU time leaves out the time other processes hold the core, not their use of caches and memory bandwidth);
 * the figures per token and the ratios against the earlier design are what to read. System property {@code kamado.bench.rounds} (3).
 */
class DecodeStepBench {

  private static final int PROMPT = 32;
  private static final int STEPS = 12;
  private static final int[] BATCHES = {1, 4, 16};
  private static final int ROUNDS = Integer.getInteger("kamado.bench.rounds", 3);
  /** CPU time of this thread (libtorch runs on it with one intra-op thread): other processes' load shows less. */
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /**
   * One way to decode: the mode, for BATCHED whether it runs {@code linear} on W (the design before ROWS), and whether
   * every row is told it needs only {@link #FEW_LOGITS} logits (as under a constraint that allows few tokens).
   */
  private record Variant(String name, LlamaModel.DecodeMode mode, boolean linear, boolean fewLogits) {
    Variant(String name, LlamaModel.DecodeMode mode, boolean linear) {
      this(name, mode, linear, false);
    }
  }

  /** Logit ids a row needs in the few-logits variant: spread over the vocabulary, so each falls in its own tile. */
  private static final int FEW_LOGITS = 4;

  private static final List<Variant> VARIANTS = List.of(
      new Variant("BATCHED, linear(x,W) padded to 4, head too (previous)", LlamaModel.DecodeMode.BATCHED, true),
      new Variant("PER_ROW, one mm(x1,Wt) call per row", LlamaModel.DecodeMode.PER_ROW, false),
      new Variant("ROWS, broadcast one-row products", LlamaModel.DecodeMode.ROWS, false),
      new Variant("BATCHED, mm(x,Wt) padded to 4, head per row", LlamaModel.DecodeMode.BATCHED, false),
      new Variant("JAVA, whole step in Java (adopted)", LlamaModel.DecodeMode.JAVA, false),
      new Variant("JAVA, every row needs only 4 logits (constrained)", LlamaModel.DecodeMode.JAVA, false, true));

  @Test
  void decodeStepTimes() {
    run();
  }

  /** Runs the bench and prints the figures. */
  public static void main(String[] args) {
    run();
  }

  static void run() {
    ModelConfig server = ModelConfig.of("llama", 32000, 512, 1408, 8, 8, 2048);
    ModelConfig demo = new ModelConfig("llama", 4096, 128, 384, 4, 4, 2, 32, 1e-6, 10_000, 4096, false, false, false,
        "silu", "float32", null, List.of(), null, null);
    for (ModelConfig config : List.of(server, demo)) {
      bench(config);
    }
  }

  private static void bench(ModelConfig config) {
    double[][] best = new double[VARIANTS.size()][BATCHES.length];
    for (double[] row : best) {
      Arrays.fill(row, Double.MAX_VALUE);
    }
    long copyBytes;
    LlamaModel.DecodeMode mode;
    try (NDManager root = Engines.pytorch().newBaseManager(); LlamaModel model = LlamaModel.random(config, 7, root)) {
      for (int round = 0; round < ROUNDS; round++) {
        for (int v = 0; v < VARIANTS.size(); v++) {
          Variant variant = VARIANTS.get(v);
          model.useLinearKernel(variant.linear());
          model.forceDecodeMode(variant.mode());
          for (int b = 0; b < BATCHES.length; b++) {
            best[v][b] = Math.min(best[v][b], stepMillis(model, BATCHES[b], variant.fewLogits()));
          }
        }
      }
      model.weightsChanged();
      mode = model.decodeMode();
      copyBytes = model.decodingBytes();
    }
    System.out.printf("%ndecode step (ms of thread CPU time, fastest of %d rounds x %d steps, 1 thread): %s%n",
        ROUNDS, STEPS, config);
    System.out.printf("  mode chosen on this CPU: %s; its weight copies: %.1f MB%n", mode, copyBytes / 1e6);
    System.out.printf("  %-58s %9s %9s %9s   %s%n", "variant", "batch 1", "batch 4", "batch 16",
        "tokens/s x1, x16 aggregate (= x single)");
    for (int v = 0; v < VARIANTS.size(); v++) {
      double[] ms = best[v];
      System.out.printf("  %-58s %9.2f %9.2f %9.2f   %.1f, %.1f (%.1fx)%n", VARIANTS.get(v).name(), ms[0], ms[1],
          ms[2], 1000 / ms[0], 16_000 / ms[2], (16_000 / ms[2]) / (1000 / ms[0]));
    }
    for (int v = 1; v < VARIANTS.size(); v++) {
      System.out.printf("  %-58s batch 1 %.2fx, batch 4 %.2fx, batch 16 %.2fx faster than the previous design%n",
          VARIANTS.get(v).name(), best[0][0] / best[v][0], best[0][1] / best[v][1], best[0][2] / best[v][2]);
    }
  }

  /** Fastest of {@link #STEPS} decode steps of {@code batch} sequences with prompts of {@link #PROMPT} tokens. */
  private static double stepMillis(LlamaModel model, int batch, boolean fewLogits) {
    List<KvCache> caches = new ArrayList<>();
    try {
      int vocab = model.config().vocabSize();
      int[] next = new int[batch];
      for (int s = 0; s < batch; s++) {
        KvCache c = model.newCache(PROMPT + STEPS + 4);
        caches.add(c);
        next[s] = ReferenceCheckIT.argmax(model.prefill(c, TinyModels.tokens(s, PROMPT, vocab)));
      }
      int[][] ids = null;
      if (fewLogits) {
        ids = new int[batch][FEW_LOGITS];
        for (int s = 0; s < batch; s++) {
          for (int k = 0; k < FEW_LOGITS; k++) {
            ids[s][k] = (k * vocab + s) / FEW_LOGITS;
          }
        }
      }
      long best = Long.MAX_VALUE;
      for (int t = 0; t < STEPS + 2; t++) {
        long start = THREADS.getCurrentThreadCpuTime();
        float[][] logits = ids == null ? model.decode(caches, next)
            : model.step(caches, next, ids, List.of(), List.of(), null)[0];
        long took = THREADS.getCurrentThreadCpuTime() - start;
        for (int s = 0; s < batch; s++) {
          next[s] = ReferenceCheckIT.argmax(logits[s]); // -inf outside the ids asked for
        }
        if (t >= 2) {
          best = Math.min(best, took);
        }
      }
      return best / 1e6;
    } finally {
      caches.forEach(KvCache::close);
    }
  }
}
