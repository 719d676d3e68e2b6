package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokenizer figures (run with {@code -Pbench}): BpeTrainer time against Python {@code tokenizers}' Rust trainer on
 * the same corpus and settings (single thread), the token counts both vocabularies give on held-out text, and
 * streaming decode speed of {@link IncrementalDecoder} against the windowed re-decode (TGI/vLLM style) through the
 * native library.
 */
class TokenizerBench {

  @TempDir
  Path dir;

  @Test
  void trainerAndStreamingFigures() throws Exception {
    Path python = TokenizerReferenceIT.referencePython();
    Path root = TokenizerReferenceIT.repoRoot();
    int vocab = 8000;
    List<String> lines = SyntheticCorpus.lines(1, 2_000_000);
    StringBuilder corpus = new StringBuilder();
    lines.forEach(corpus::append);
    Path corpusFile = dir.resolve("corpus.txt");
    Files.writeString(corpusFile, corpus, StandardCharsets.UTF_8);
    long bytes = Files.size(corpusFile);

    // warm-up on a small corpus, then the measured run (reading the file included, as the baseline)
    BpeTrainer warm = new BpeTrainer(1000);
    lines.subList(0, 2000).forEach(warm::add);
    warm.train();
    long t0 = System.nanoTime();
    BpeTrainer trainer = new BpeTrainer(vocab).addFile(corpusFile);
    long t1 = System.nanoTime();
    BpeModel model = trainer.train();
    long t2 = System.nanoTime();
    Path javaDir = dir.resolve("java");
    model.save(javaDir);
    double javaSeconds = (t2 - t0) / 1e9;

    String out = TokenizerReferenceIT.run(List.of(python.toString(),
        root.resolve("hack/reference/tokenizer_train_baseline.py").toString(), corpusFile.toString(),
        Integer.toString(vocab), PreTokenizerRegex.ONIGURUMA, dir.resolve("python").toString()));
    JsonNode baseline = new ObjectMapper().readTree(out);
    double pythonSeconds = baseline.get("seconds").asDouble();

    System.out.printf("BpeTrainer: %.1f MB corpus, %d distinct words, vocab %d: Java %.2f s (count %.2f s + merges "
        + "%.2f s), Python tokenizers (Rust, %s thread) %.2f s, Java/Python time ratio %.2f%n",
        bytes / 1e6, trainer.distinctWords(), model.vocabSize(), javaSeconds, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
        baseline.get("threads").asText(), pythonSeconds, javaSeconds / pythonSeconds);

    // held-out text: token counts of both vocabularies (Python's loaded through TextTokenizer too)
    Files.copy(javaDir.resolve("tokenizer_config.json"), dir.resolve("python").resolve("tokenizer_config.json"));
    List<String> heldOut = SyntheticCorpus.lines(99, 300_000);
    try (TextTokenizer javaTok = TextTokenizer.load(javaDir);
        TextTokenizer pyTok = TextTokenizer.load(dir.resolve("python"))) {
      long javaTokens = 0;
      long pyTokens = 0;
      long chars = 0;
      for (String line : heldOut) {
        javaTokens += javaTok.encode(line, false).length;
        pyTokens += pyTok.encode(line, false).length;
        chars += line.length();
      }
      System.out.printf("held-out %d chars: %d tokens with the Java-trained vocabulary (%.2f chars/token), %d with "
          + "the Python-trained one (%.2f chars/token), ratio %.3f%n", chars, javaTokens, (double) chars / javaTokens,
          pyTokens, (double) chars / pyTokens, (double) javaTokens / pyTokens);
      assertThat(javaTokens).isPositive();

      // streaming: incremental decoder vs re-decoding the prefix window each token (the naive approach)
      StringBuilder text = new StringBuilder();
      heldOut.subList(0, 200).forEach(text::append);
      int[] ids = javaTok.encode(text.toString(), false);
      int rounds = 5;
      long s0 = System.nanoTime();
      StringBuilder sink = new StringBuilder();
      for (int r = 0; r < rounds; r++) {
        IncrementalDecoder d = javaTok.newDecoder(true);
        for (int id : ids) {
          d.next(id, sink);
        }
        sink.append(d.finish());
      }
      long s1 = System.nanoTime();
      long windowChars = 0;
      for (int r = 0; r < rounds; r++) {
        // the windowed re-decode that TGI and vLLM use: decode ids[prefix:k] and ids[prefix:read] at every token and
        // emit the difference once it does not end in U+FFFD
        int prefixOffset = 0;
        int readOffset = 0;
        for (int k = 1; k <= ids.length; k++) {
          String prefixText = javaTok.decode(java.util.Arrays.copyOfRange(ids, prefixOffset, readOffset), true);
          String newText = javaTok.decode(java.util.Arrays.copyOfRange(ids, prefixOffset, k), true);
          if (newText.length() > prefixText.length() && !newText.endsWith("\uFFFD")) {
            windowChars += newText.length() - prefixText.length();
            prefixOffset = readOffset;
            readOffset = k;
          }
        }
      }
      long s2 = System.nanoTime();
      double incremental = (double) rounds * ids.length / ((s1 - s0) / 1e9);
      double windowed = (double) rounds * ids.length / ((s2 - s1) / 1e9);
      System.out.printf("streaming decode of %d tokens: IncrementalDecoder %.0f tokens/s, windowed re-decode through "
          + "the native library %.0f tokens/s, speed-up %.1fx%n", ids.length, incremental, windowed,
          incremental / windowed);
      assertThat(sink.length()).isEqualTo(rounds * javaTok.decode(ids, true).length());
      assertThat(windowChars).isPositive();
    }
  }
}
