package dev.kamado.trainer;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.model.llama.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code merge}: base model + PEFT LoRA adapter = full model (W += alpha/r * B A), with the tokenizer files. */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Merges a LoRA adapter into its base model and writes the full model.")
final class MergeCommand implements Callable<Integer> {
  @Option(names = "--base-model", required = true, paramLabel = "DIR", description = "The adapter's base model.")
  Path base;
  @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "PEFT adapter folder.")
  Path adapter;
  @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for the merged model.")
  Path output;

  @Override
  public Integer call() throws Exception {
    for (Path p : new Path[] {base.resolve("config.json"), adapter.resolve("adapter_config.json")}) {
      if (!Files.isRegularFile(p)) {
        throw new InvalidInputException(p + " does not exist");
      }
    }
    try (NDManager manager = Engines.pytorch().newBaseManager();
        LlamaModel model = LlamaModel.load(base, manager)) {
      LoraAdapter lora = LoraAdapter.load(adapter, model);
      model.attach(lora);
      model.mergeLora();
      Files.createDirectories(output);
      model.save(output);
      Trainer.copyTokenizer(base, output);
      System.out.printf("Wrote %s: %s merged into %s%n", output, adapter, base);
    }
    return 0;
  }
}
