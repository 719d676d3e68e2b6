package dev.kamado.model.llama;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.model.Engines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-core speed against Python transformers on the same model, both with one torch thread, measured in the same
 * run (run with {@code -Pbench}): training tokens/s (forward + loss + backward; full and LoRA) and single-stream
 * greedy decode tokens/s (prefill + KV-cache decode vs {@code generate}). Prints the figures and ratios; targets are
 * >= 0.9x for training and >= 1.0x for decode. Each figure is the fastest of several runs on both sides (the machine
 * may be shared). Model size: system properties {@code kamado.bench.hidden} (256),
 * {@code kamado.bench.layers} (4), {@code kamado.bench.intermediate} (768), {@code kamado.bench.vocab} (4096).
 */
class ModelCoreBench {

  private static final int BATCH = 4;
  private static final int SEQ = 128;
  private static final int STEPS = 10;
  private static final int PROMPT = 32;
  private static final int NEW_TOKENS = 64;
  private static final int ROUNDS = Integer.getInteger("kamado.bench.rounds", 3);

  @TempDir
  Path work;

  @Test
  void modelCoreAgainstTransformers() throws Exception {
    ReferencePython ref = ReferencePython.locate();
    Path model = work.resolve("bench-model");
    ref.run("make_tiny_model.py", List.of("--arch", "llama", "--out", model.toString(), "--seed", "0",
        "--hidden", Integer.getInteger("kamado.bench.hidden", 256).toString(),
        "--layers", Integer.getInteger("kamado.bench.layers", 4).toString(),
        "--heads", "4", "--kv-heads", "2",
        "--intermediate", Integer.getInteger("kamado.bench.intermediate", 768).toString(),
        "--vocab", Integer.getInteger("kamado.bench.vocab", 4096).toString(), "--init-std", "0.02"));
    // Python and Java take turns, ROUNDS times, and each side keeps its best figure: the machine may be shared, and
    // turns expose both sides to the same spells of load.
    double pyFull = 0;
    double pyLora = 0;
    double pyDecode = 0;
    double full = 0;
    double withLora = 0;
    double decode = 0;
    double batched = 0;
    double batched16 = 0;
    double perRowDecode = 0;
    double perRow16 = 0;
    LlamaModel.DecodeMode mode = null;
    boolean same = true;
    JsonNode d = null;
    try (NDManager root = Engines.pytorch().newBaseManager(); LlamaModel llama = LlamaModel.load(model, root)) {
      LoraAdapter lora = LoraAdapter.create(llama, new LoraConfig(8, 16, 0.05, List.of("q_proj", "k_proj",
          "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")), 1);
      for (int round = 0; round < ROUNDS; round++) {
        Path out = work.resolve("baseline-" + round + ".json");
        ref.run("bench_baseline.py", List.of("--model", model.toString(), "--out", out.toString(),
            "--batch", "" + BATCH, "--seq", "" + SEQ, "--steps", "" + STEPS, "--prompt-len", "" + PROMPT,
            "--new-tokens", "" + NEW_TOKENS, "--threads", "1"));
        JsonNode base = new ObjectMapper().readTree(out.toFile());
        d = base.get("decode");
        pyFull = Math.max(pyFull, base.get("train_full").get("tokens_per_s").asDouble());
        pyLora = Math.max(pyLora, base.get("train_lora").get("tokens_per_s").asDouble());
        pyDecode = Math.max(pyDecode, d.get("new_tokens_per_s").asDouble());

        full = Math.max(full, train(llama, root, null));
        withLora = Math.max(withLora, train(llama, root, lora));
        int[] prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
          prompt[i] = d.get("prompt_ids").get(i).asInt();
        }
        for (int run = 0; run < 5; run++) {
          long start = System.nanoTime();
          int[] ids = ReferenceCheckIT.greedy(llama, prompt, NEW_TOKENS);
          double secs = (System.nanoTime() - start) / 1e9;
          decode = Math.max(decode, NEW_TOKENS / secs);
          for (int i = 0; i < NEW_TOKENS; i++) {
            same &= ids[i] == d.get("greedy_ids").get(i).asInt();
          }
        }
        batched = Math.max(batched, batchedDecode(llama, prompt, 8));
        batched16 = Math.max(batched16, batchedDecode(llama, prompt, 16));
        // the per-row fallback (and the design before batching) on the same model, for comparison
        llama.forceDecodeMode(LlamaModel.DecodeMode.PER_ROW);
        long start = System.nanoTime();
        ReferenceCheckIT.greedy(llama, prompt, NEW_TOKENS);
        perRowDecode = Math.max(perRowDecode, NEW_TOKENS / ((System.nanoTime() - start) / 1e9));
        perRow16 = Math.max(perRow16, batchedDecode(llama, prompt, 16));
        llama.forceDecodeMode(null);
      }
      mode = llama.decodeMode();
      System.out.printf("%nmodel-core bench (1 thread, batch %d x seq %d, best of %d alternating rounds, %s)%n",
          BATCH, SEQ, ROUNDS, llama.config());
    }
    System.out.printf("  train full : kamado %8.1f tok/s  transformers %8.1f tok/s  ratio %.2f (target >= 0.9)%n",
        full, pyFull, full / pyFull);
    System.out.printf("  train lora : kamado %8.1f tok/s  transformers %8.1f tok/s  ratio %.2f (target >= 0.9)%n",
        withLora, pyLora, withLora / pyLora);
    System.out.printf("  decode x1  : kamado %8.1f tok/s  transformers %8.1f tok/s  ratio %.2f (target >= 1.0); "
        + "same greedy ids: %s%n", decode, pyDecode, decode / pyDecode, same);
    System.out.printf("  decode x8  : kamado %8.1f tok/s (8 streams, batch-invariant, mode %s)%n", batched, mode);
    System.out.printf("  decode x16 : kamado %8.1f tok/s (16 streams) = %.2fx own single stream (target >= 3)%n",
        batched16, batched16 / decode);
    System.out.printf("  per-row fallback: decode x1 %8.1f tok/s, x16 %8.1f tok/s (= %.2fx); batched vs per-row: "
        + "x1 %.2fx, x16 %.2fx%n", perRowDecode, perRow16, perRow16 / perRowDecode, decode / perRowDecode,
        batched16 / perRow16);
  }

  private static double train(LlamaModel llama, NDManager root, LoraAdapter lora) {
    if (lora != null) {
      llama.parameters().values().forEach(p -> p.setRequiresGradient(false));
      llama.attach(lora);
      lora.parameters().values().forEach(p -> p.setRequiresGradient(true));
    } else {
      llama.parameters().values().forEach(p -> p.setRequiresGradient(true));
    }
    Random rnd = new Random(1);
    int vocab = llama.config().vocabSize();
    long[] ids = new long[BATCH * SEQ];
    long[] labels = new long[BATCH * SEQ];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(vocab);
    }
    for (int i = 0; i < ids.length; i++) {
      labels[i] = (i + 1) % SEQ == 0 ? -100 : ids[i + 1];
    }
    long best = Long.MAX_VALUE;
    for (int step = -2; step < STEPS; step++) {
      long start = System.nanoTime();
      try (NDManager s = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray x = s.create(ids, new Shape(BATCH, SEQ));
        NDArray y = s.create(labels, new Shape(BATCH, SEQ));
        gc.backward(LlamaModel.causalLmLoss(llama.forward(x, null, true), y));
      }
      if (step >= 0) {
        best = Math.min(best, System.nanoTime() - start);
      }
    }
    double secs = best / 1e9;
    llama.parameters().values().forEach(p -> p.setRequiresGradient(false));
    if (lora != null) {
      lora.parameters().values().forEach(p -> p.setRequiresGradient(false));
      llama.detach();
    }
    return (double) BATCH * SEQ / secs;
  }

  private static double batchedDecode(LlamaModel llama, int[] prompt0, int streams) {
    int[] prompt = prompt0.clone();
    List<KvCache> caches = new ArrayList<>();
    try {
      int[] next = new int[streams];
      for (int s = 0; s < streams; s++) {
        KvCache c = llama.newCache(PROMPT + NEW_TOKENS);
        caches.add(c);
        prompt[0] = s;
        next[s] = ReferenceCheckIT.argmax(llama.prefill(c, prompt));
      }
      long start = System.nanoTime();
      for (int t = 1; t < NEW_TOKENS; t++) {
        float[][] logits = llama.decode(caches, next);
        for (int s = 0; s < streams; s++) {
          next[s] = ReferenceCheckIT.argmax(logits[s]);
        }
      }
      return (double) streams * (NEW_TOKENS - 1) / ((System.nanoTime() - start) / 1e9);
    } finally {
      caches.forEach(KvCache::close);
    }
  }
}
