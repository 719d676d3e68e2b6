package dev.kamado.operator.autoscale;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import dev.kamado.model.ModelConfig;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.model.tokenizer.BpeTokenizerFiles;
import dev.kamado.model.tokenizer.BpeTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a tiny random Llama model with a BPE tokenizer trained here, in the Hugging Face layout the inference server
 * loads (config.json, model.safetensors, tokenizer.json, tokenizer_config.json).
 */
public final class TinyServedModel {
  private static final List<String> CORPUS = List.of(
      "The quick brown fox jumps over the lazy dog.",
      "Kamado fine-tunes and serves small language models on Kubernetes.",
      "{\"category\": \"billing\", \"urgency\": 3, \"ok\": true, \"tags\": [\"a\", \"b\"]}",
      "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000",
      "Hello, world! How are you today? I am fine, thank you.");

  private TinyServedModel() {}

  /** Writes the model to {@code dir} and returns it. */
  public static Path write(Path dir) throws IOException {
    BpeTrainer trainer = new BpeTrainer(400);
    for (int i = 0; i < 4; i++) {
      CORPUS.forEach(trainer::add);
    }
    BpeTokenizerFiles.write(trainer.train(), dir);
    ModelConfig config = ModelConfig.of("llama", 400, 64, 160, 2, 2, 256);
    try (NDManager manager = Engines.pytorch().newBaseManager();
        LlamaModel model = LlamaModel.random(config, 7, manager)) {
      model.save(dir);
    }
    return dir;
  }
}
