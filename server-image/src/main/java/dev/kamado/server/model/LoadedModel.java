package dev.kamado.server.model;

import dev.kamado.model.ModelConfig;
import dev.kamado.model.tokenizer.IncrementalDecoder;
import dev.kamado.model.tokenizer.TextTokenizer;
import dev.kamado.server.engine.Detokenizer;
import java.util.ArrayList;
import java.util.List;
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
 * @param generatableIds ids below this are known to both the model and the tokenizer (the engine never generates
 *     others)
 * @param endOfSequenceIds ids that end generation
 */
public record LoadedModel(String name, ModelFolders folders, ModelConfig config, LanguageModel model,
    TextTokenizer tokenizer, int generatableIds, Set<Integer> endOfSequenceIds) {

  /** A detokenizer for one sequence (special tokens give no text). */
  public Detokenizer newDetokenizer() {
    IncrementalDecoder decoder = tokenizer.newDecoder(true);
    return new Detokenizer() {
      @Override
      public String next(int tokenId) {
        return decoder.next(tokenId);
      }

      @Override
      public String finish() {
        return decoder.finish();
      }
    };
  }

  /** The bytes of every model token id (null for special tokens and ids the tokenizer does not know). */
  public List<byte[]> tokenBytes() {
    List<byte[]> bytes = new ArrayList<>(config.vocabSize());
    for (int id = 0; id < config.vocabSize(); id++) {
      bytes.add(id < generatableIds ? tokenizer.tokenBytes(id) : null);
    }
    return bytes;
  }
}
