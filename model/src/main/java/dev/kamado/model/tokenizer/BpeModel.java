package dev.kamado.model.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A trained byte-level BPE model.
 *
 * @param specialTokens special tokens (ids 0..n-1)
 * @param tokenBytes bytes of each id (null for special tokens)
 * @param merges merges in rank order, each {@code {leftId, rightId, mergedId}}
 */
public record BpeModel(List<String> specialTokens, List<byte[]> tokenBytes, List<int[]> merges) {

  /** Number of tokens. */
  public int vocabSize() {
    return tokenBytes.size();
  }

  /** Token string of an id as written to tokenizer.json (GPT-2 byte-level form; special tokens as they are). */
  public String token(int id) {
    byte[] b = tokenBytes.get(id);
    return b == null ? specialTokens.get(id) : ByteLevelAlphabet.encode(b);
  }

  /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (see {@link BpeTokenizerFiles}). */
  public void save(Path dir) throws IOException {
    BpeTokenizerFiles.write(this, dir);
  }
}
