package dev.kamado.server.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code -Pbench}: cost of the schema constraint per generated token, for a triage-like schema and for json_object
 * mode, on synthetic byte-level vocabularies of 32k and 150k tokens. A "model" picks uniformly among the allowed
 * tokens. Prints, per vocabulary: build times, mask time per token (mean, p50, p99, max) cold (first generation,
 * masks being computed) and warm (cached), advance time per token, and as baseline in the same run the naive
 * approach (a full vocabulary-trie walk for every token) with the ratio. A benchmark: prints figures, asserts
 * nothing about time.
 */
class SchemaConstraintBench {
  static final String TRIAGE = """
      {"type":"object","properties":{
        "category":{"enum":["bug","feature_request","billing","account","outage","other"]},
        "priority":{"type":"string","enum":["p0","p1","p2","p3"]},
        "team":{"type":"string","enum":["payments","identity","platform","mobile","web"]},
        "customer_impact":{"type":"boolean"},
        "affected_users":{"type":"integer","minimum":0,"maximum":1000000},
        "due_date":{"anyOf":[{"type":"string","minLength":10,"maxLength":10},{"type":"null"}]},
        "tags":{"type":"array","items":{"type":"string","maxLength":24},"maxItems":5},
        "summary":{"type":"string","maxLength":400}
      },
      "required":["category","priority","team","customer_impact","affected_users","due_date","tags","summary"],
      "additionalProperties":false}""";

  @Test
  void maskTimePerToken() throws Exception {
    JsonNode triage = new ObjectMapper().readTree(TRIAGE);
    for (int size : new int[] {32_000, 150_000}) {
      java.util.List<byte[]> tokens = TestVocabularies.tokens(size, 11);
      long t0 = System.nanoTime();
      TokenVocabulary vocab = new TokenVocabulary(tokens, java.util.Set.of(tokens.size() - 1));
      long vocabNs = System.nanoTime() - t0;
      System.out.printf("%nvocabulary %d tokens: trie %d nodes, longest token %d bytes, built in %.0f ms%n",
          vocab.size(), vocab.trieNodes(), vocab.maxTokenBytes(), vocabNs / 1e6);
      run("triage", SchemaCompiler.compile(triage), vocab, 400);
      run("json_object", SchemaCompiler.jsonObject(), vocab, 400);
      TokenVocabulary copy = new TokenVocabulary(tokens, java.util.Set.of(tokens.size() - 1)); // empty caches
      ConstrainedDecoder prewarmed = ConstrainedDecoder.of(SchemaCompiler.compile(triage), copy);
      long p0 = System.nanoTime();
      prewarmed.prewarm(50, 400, 1);
      System.out.printf("  prewarm(50 generations) of the triage decoder: %.0f ms, %d trie walks, %d string masks%n",
          (System.nanoTime() - p0) / 1e6, prewarmed.trieWalks(), prewarmed.stringMasks());
      Timings after = new Timings();
      generate(prewarmed, 400, new Random(1), after, false);
      after.print("first generation after prewarm");
    }
  }

  private static void run(String name, CompiledSchema schema, TokenVocabulary vocab, int budget) {
    long t0 = System.nanoTime();
    ConstrainedDecoder decoder = ConstrainedDecoder.of(schema, vocab);
    long createNs = System.nanoTime() - t0;
    Timings cold = new Timings();
    generate(decoder, budget, new Random(1), cold, false);
    int coldStates = decoder.statesBuilt();
    int coldWalks = decoder.trieWalks();
    int coldStringMasks = decoder.stringMasks();
    Timings warm = new Timings();
    for (int i = 0; i < 200; i++) { // warm-up of the JIT and of the caches
      generate(decoder, budget, new Random(100 + i), null, false);
    }
    for (int i = 0; i < 300; i++) {
      generate(decoder, budget, new Random(1000 + i), warm, false);
    }
    Timings tight = new Timings();
    int min = decoder.minTokensToComplete(decoder.start());
    for (int i = 0; i < 300; i++) {
      generate(decoder, min + 5, new Random(5000 + i), tight, false);
    }
    Timings naive = new Timings();
    for (int i = 0; i < 5; i++) {
      generate(decoder, budget, new Random(9000 + i), naive, true);
    }
    System.out.printf("  %-11s automaton %d NFA states; after the first generation %d DFA states, %d trie walks, "
        + "%d string masks (after all: %d, %d, %d); decoder created in %.1f ms; minimal output %d tokens%n", name,
        schema.automatonStates(), coldStates, coldWalks, coldStringMasks, decoder.statesBuilt(), decoder.trieWalks(),
        decoder.stringMasks(), createNs / 1e6, min);
    cold.print("cold (1st generation, masks computed)");
    warm.print("warm (300 generations, budget " + budget + ")");
    tight.print("tight budget (minimal + 5 tokens)");
    naive.print("baseline: full trie walk every token");
    System.out.printf("    ratio baseline/warm mean mask time: %.0fx; advance() mean %.2f us/token%n",
        naive.meanMask() / warm.meanMask(), warm.meanAdvance() / 1e3);
  }

  private static void generate(ConstrainedDecoder decoder, int budget, Random random, Timings timings,
      boolean naive) {
    TokenVocabulary v = decoder.vocabulary();
    long[] mask = new long[v.maskWords()];
    int[] allowed = new int[v.size()];
    ConstrainedDecoder.State s = decoder.start();
    for (int remaining = budget; remaining > 0; remaining--) {
      long a = System.nanoTime();
      if (naive) {
        decoder.allowedTokensUncached(s, remaining, mask);
      } else {
        decoder.allowedTokens(s, remaining, mask);
      }
      long b = System.nanoTime();
      int n = 0;
      for (int w = 0; w < mask.length; w++) {
        long bits = mask[w];
        while (bits != 0) {
          allowed[n++] = (w << 6) + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
        }
      }
      int token = allowed[random.nextInt(n)];
      if (v.bytes(token) == null) {
        return;
      }
      long c = System.nanoTime();
      s = decoder.advance(s, token);
      long d = System.nanoTime();
      if (timings != null) {
        timings.add(b - a, d - c);
      }
    }
  }

  private static final class Timings {
    private long[] mask = new long[1024];
    private long[] advance = new long[1024];
    private int n;

    void add(long maskNs, long advanceNs) {
      if (n == mask.length) {
        mask = Arrays.copyOf(mask, n * 2);
        advance = Arrays.copyOf(advance, n * 2);
      }
      mask[n] = maskNs;
      advance[n++] = advanceNs;
    }

    double meanMask() {
      return Arrays.stream(mask, 0, n).average().orElse(0);
    }

    double meanAdvance() {
      return Arrays.stream(advance, 0, n).average().orElse(0);
    }

    void print(String label) {
      long[] sorted = Arrays.copyOf(mask, n);
      Arrays.sort(sorted);
      System.out.printf("    %-40s %7d tokens  mask mean %8.2f us  p50 %8.2f us  p99 %8.2f us  max %9.1f us%n",
          label, n, meanMask() / 1e3, sorted[n / 2] / 1e3, sorted[(int) (n * 0.99)] / 1e3, sorted[n - 1] / 1e3);
    }
  }
}
