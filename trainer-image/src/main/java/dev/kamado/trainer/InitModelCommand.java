package dev.kamado.trainer;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import dev.kamado.model.ModelConfig;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.model.tokenizer.BpeTrainer;
import dev.kamado.model.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code init-model}: a randomly initialised Llama-family model of a given size, in the Hugging Face layout
 * (config.json, model.safetensors, tokenizer.json, tokenizer_config.json), with a tokenizer trained on a corpus or
 * copied from another model.
 */
@Command(name = "init-model", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Creates a randomly initialised model (for tests, demos, and pre-training from scratch).")
final class InitModelCommand implements Callable<Integer> {
  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder to create.")
  Path output;
  @Option(names = "--arch", paramLabel = "TYPE", description = "llama (default), qwen2 or mistral.")
  String arch = "llama";
  @Option(names = "--hidden", paramLabel = "N", description = "hidden_size (default 256).")
  int hidden = 256;
  @Option(names = "--layers", paramLabel = "N", description = "num_hidden_layers (default 4).")
  int layers = 4;
  @Option(names = "--heads", paramLabel = "N", description = "num_attention_heads (default 4).")
  int heads = 4;
  @Option(names = "--kv-heads", paramLabel = "N", description = "num_key_value_heads (default: heads).")
  Integer kvHeads;
  @Option(names = "--intermediate", paramLabel = "N", description = "intermediate_size (default 4 x hidden x 2/3, "
      + "rounded up to 32).")
  Integer intermediate;
  @Option(names = "--vocab", paramLabel = "N", description = "vocab_size (default: the tokenizer's size; with "
      + "--tokenizer-corpus the size to train).")
  Integer vocab;
  @Option(names = "--max-position", paramLabel = "N", description = "max_position_embeddings (default 2048).")
  int maxPosition = 2048;
  @Option(names = "--rope-theta", paramLabel = "X", description = "rope_theta (default 10000).")
  double ropeTheta = 10_000;
  @Option(names = "--tied", description = "Tie the LM head to the embedding.")
  boolean tied;
  @Option(names = "--seed", paramLabel = "N", description = "Initialisation seed (default 42).")
  long seed = 42;
  @Option(names = "--tokenizer-corpus", paramLabel = "FILE", description = "Train a byte-level BPE tokenizer "
      + "on this UTF-8 text file.")
  Path corpus;
  @Option(names = "--tokenizer-from", paramLabel = "DIR", description = "Copy the tokenizer files of this model.")
  Path tokenizerFrom;

  @Override
  public Integer call() throws Exception {
    if ((corpus == null) == (tokenizerFrom == null)) {
      throw new InvalidInputException("give exactly one of --tokenizer-corpus and --tokenizer-from");
    }
    Files.createDirectories(output);
    if (corpus != null) {
      if (!Files.isRegularFile(corpus)) {
        throw new InvalidInputException("tokenizer corpus " + corpus + " does not exist");
      }
      new BpeTrainer(vocab == null ? 4096 : vocab).addFile(corpus).train().save(output);
    } else {
      Trainer.copyTokenizer(tokenizerFrom, output);
    }
    int vocabSize;
    int eos;
    Integer bos;
    Integer pad;
    try (TextTokenizer tokenizer = TextTokenizer.load(output)) {
      vocabSize = Math.max(tokenizer.vocabSize(), vocab == null ? 0 : vocab);
      eos = tokenizer.eosIds().stream().mapToInt(Integer::intValue).min().orElse(0);
      bos = tokenizer.bosId().isPresent() ? tokenizer.bosId().getAsInt() : null;
      pad = tokenizer.padId();
    }
    int inter = intermediate != null ? intermediate : ((hidden * 8 / 3 + 31) / 32) * 32;
    int kv = kvHeads == null ? heads : kvHeads;
    ModelConfig config;
    try {
      config = new ModelConfig(arch, vocabSize, hidden, inter, layers, heads, kv, hidden / heads, 1e-6, ropeTheta,
          maxPosition, tied, false, false, "silu", "float32", bos, List.of(eos), pad, null);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(e.getMessage(), e);
    }
    try (NDManager manager = Engines.pytorch().newBaseManager();
        LlamaModel model = LlamaModel.random(config, seed, manager)) {
      model.save(output);
      long params = model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
      System.out.printf("Wrote %s: %s, %d parameters, vocab %d%n", output, arch, params, vocabSize);
    }
    return 0;
  }
}
