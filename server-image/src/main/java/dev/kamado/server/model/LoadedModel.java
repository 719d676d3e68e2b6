package dev.kamado.server.model;

import dev.kamado.model.ModelConfig;
import dev.kamado.model.tokenizer.TextTokenizer;
import dev.kamado.server.engine.LanguageModel;
import java.util.Set;

/**
 * A model ready to serve.
 *
 * @param name the name the API reports
 * @param folders where it came from
 * @param config its architecture
 * @param model the weights behind the engine's interface
 * @param tokenizer its tokenizer
 * @param tokenBytes UTF-8 bytes of each token id the engine may generate (null for special tokens)
 * @param endOfSequenceIds ids that end generation
 */
public record LoadedModel(String name, ModelFolders folders, ModelConfig config, LanguageModel model,
    TextTokenizer tokenizer, byte[][] tokenBytes, Set<Integer> endOfSequenceIds) {}
