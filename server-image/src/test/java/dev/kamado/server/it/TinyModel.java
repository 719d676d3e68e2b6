package dev.kamado.server.it;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import dev.kamado.model.ModelConfig;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.model.llama.LoraAdapter;
import dev.kamado.model.llama.LoraConfig;
import dev.kamado.model.tokenizer.BpeTokenizerFiles;
import dev.kamado.model.tokenizer.BpeTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Builds random Llama models with a BPE tokenizer trained here, in the Hugging Face layout the server loads. */
public final class TinyModel {

  /** Sentences for the tokenizer (English, Japanese, JSON), so that JSON punctuation has tokens of its own. */
  static final List<String> CORPUS = List.of(
      "The quick brown fox jumps over the lazy dog.",
      "Kamado fine-tunes and serves small language models on Kubernetes.",
      "Please answer in JSON: {\"name\": \"Taro\", \"age\": 42, \"ok\": true, \"tags\": [\"a\", \"b\"]}",
      "{\"category\": \"billing\", \"urgency\": \"high\", \"due\": \"2026-12-01\", \"score\": -3.5, \"x\": null}",
      "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14 -7 2025 1e3",
      "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。",
      "東京都渋谷区のオフィスで、明日の会議について問い合わせがありました。",
      "Hello, world! How are you today? I am fine, thank you.",
      "def add(a, b):\n    return a + b\n",
      "true false null [ ] { } , : \" \\ \\n \\u00e9");

  private TinyModel() {
  }

  /**
   * Writes a random model to {@code dir}: config.json, model.safetensors, tokenizer.json, tokenizer_config.json.
   *
   * @param vocab model vocabulary (at least the tokenizer's)
   * @param hidden hidden size
   * @param layers decoder layers
   * @param context max_position_embeddings
   */
  public static Path write(Path dir, int vocab, int hidden, int layers, int context, long seed) throws IOException {
    return write(dir, vocab, hidden, layers, Math.max(1, hidden / 32), hidden * 2 + hidden / 2, context, seed);
  }

  /** Like {@link #write(Path, int, int, int, int, long)} with the head count and MLP width given. */
  public static Path write(Path dir, int vocab, int hidden, int layers, int heads, int intermediate, int context,
      long seed) throws IOException {
    BpeTrainer trainer = new BpeTrainer(Math.min(vocab, 600));
    for (int i = 0; i < 4; i++) {
      for (String s : CORPUS) {
        trainer.add(s);
      }
    }
    BpeTokenizerFiles.write(trainer.train(), dir);
    ModelConfig config = ModelConfig.of("llama", vocab, hidden, intermediate, layers, heads, context);
    try (NDManager manager = Engines.pytorch().newBaseManager();
        LlamaModel model = LlamaModel.random(config, seed, manager)) {
      model.save(dir);
    }
    return dir;
  }

  /** Writes a random LoRA adapter for the model in {@code base} to {@code dir}, naming the base by absolute path. */
  public static Path writeAdapter(Path base, Path dir, long seed) throws IOException {
    try (NDManager manager = Engines.pytorch().newBaseManager();
        LlamaModel model = LlamaModel.load(base, manager)) {
      LoraAdapter adapter = LoraAdapter.create(model, new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj")), seed);
      adapter.save(dir, base.toAbsolutePath().toString());
    }
    return dir;
  }

  /** Deletes a folder tree (test clean-up). */
  public static void delete(Path dir) throws IOException {
    if (dir == null || !java.nio.file.Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.deleteIfExists(p);
      }
    }
  }
}
