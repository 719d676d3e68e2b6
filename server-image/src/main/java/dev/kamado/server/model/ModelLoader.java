package dev.kamado.server.model;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import dev.kamado.model.ModelConfig;
import dev.kamado.model.llama.LlamaModel;
import dev.kamado.model.llama.LoraAdapter;
import dev.kamado.model.tokenizer.TextTokenizer;
import dev.kamado.server.config.ServerConfig;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads the configured model: folders, digest checks, weights (LoRA merged), tokenizer. */
public final class ModelLoader {

  private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

  private ModelLoader() {
  }

  /**
   * Loads the model named by {@code config}.
   *
   * @throws InvalidModelException when a file is missing, unreadable or does not match its digest
   */
  public static LoadedModel load(ServerConfig config) throws InvalidModelException {
    ModelFolders folders = ModelFolders.resolve(config.model(), config.adapter(), config.volumesDir());
    if (config.verifyDigests()) {
      Set<java.nio.file.Path> dirs = new LinkedHashSet<>();
      dirs.add(config.model());
      dirs.add(folders.base());
      if (folders.adapter() != null) {
        dirs.add(folders.adapter());
      }
      for (java.nio.file.Path dir : dirs) {
        LOG.info(ManifestVerifier.verify(dir));
      }
    }
    NDManager manager = Engines.pytorch().newBaseManager();
    LlamaModel llama;
    try {
      llama = LlamaModel.load(folders.base(), manager);
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw new InvalidModelException("cannot load the model in " + folders.base() + ": " + e.getMessage(), e);
    }
    try {
      if (folders.adapter() != null) {
        LoraAdapter adapter = LoraAdapter.load(folders.adapter(), llama);
        llama.attach(adapter);
        llama.mergeLora();
      }
    } catch (IOException | RuntimeException e) {
      llama.close();
      manager.close();
      throw new InvalidModelException("cannot load the LoRA adapter in " + folders.adapter() + ": "
          + e.getMessage(), e);
    }
    llama.preferDecodeMode(config.decodeMode());
    llama.decodeThreads(config.decodeThreads());
    TextTokenizer tokenizer;
    try {
      tokenizer = TextTokenizer.load(folders.tokenizer());
    } catch (IOException | RuntimeException e) {
      llama.close();
      manager.close();
      throw new InvalidModelException("cannot load the tokenizer in " + folders.tokenizer() + ": "
          + e.getMessage(), e);
    }
    ModelConfig modelConfig = llama.config();
    int context = config.maxModelLen() > 0
        ? Math.min(config.maxModelLen(), modelConfig.maxPositionEmbeddings()) : modelConfig.maxPositionEmbeddings();
    int decodable = Math.min(modelConfig.vocabSize(), tokenizer.vocabSize());
    Set<Integer> eos = new LinkedHashSet<>(tokenizer.eosIds());
    eos.addAll(modelConfig.eosTokenIds());
    if (eos.isEmpty()) {
      throw new InvalidModelException("the model in " + folders.base() + " names no end-of-sequence token ("
          + "eos_token in tokenizer_config.json or eos_token_id in config.json)");
    }
    String name = config.servedModelName() != null ? config.servedModelName()
        : (folders.adapter() != null ? folders.adapter() : folders.base()).toAbsolutePath().normalize()
            .getFileName().toString();
    return new LoadedModel(name, folders, modelConfig, new LlamaLanguageModel(llama, manager,
        context), tokenizer, decodable, Set.copyOf(eos));
  }
}
