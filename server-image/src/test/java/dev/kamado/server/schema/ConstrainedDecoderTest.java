package dev.kamado.server.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Masks, EOS, the token budget, tokens that split a UTF-8 character, the mask cache and concurrent use. */
class ConstrainedDecoderTest {
  private static final TokenVocabulary BYTES = TestVocabularies.bytesOnly();
  private static final int EOS = 256;

  private static ConstrainedDecoder decoder(String schema, TokenVocabulary vocab) {
    return ConstrainedDecoder.of(SchemaLanguageTest.compile(schema), vocab);
  }

  private static List<Integer> allowed(ConstrainedDecoder d, ConstrainedDecoder.State s, int remaining) {
    long[] mask = new long[d.vocabulary().maskWords()];
    d.allowedTokens(s, remaining, mask);
    List<Integer> ids = new ArrayList<>();
    for (int t = 0; t < d.vocabulary().size(); t++) {
      if ((mask[t >>> 6] & (1L << t)) != 0) {
        ids.add(t);
      }
    }
    return ids;
  }

  private static ConstrainedDecoder.State feed(ConstrainedDecoder d, ConstrainedDecoder.State s, String text) {
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      s = d.advance(s, b & 0xFF);
    }
    return s;
  }

  @Test
  void eosIsAllowedOnlyWhenTheJsonIsComplete() {
    ConstrainedDecoder d = decoder("{\"type\":\"boolean\"}", BYTES);
    assertThat(allowed(d, d.start(), 100)).containsExactly((int) 'f', (int) 't');
    ConstrainedDecoder.State s = feed(d, d.start(), "tru");
    assertThat(d.isComplete(s)).isFalse();
    assertThat(allowed(d, s, 100)).containsExactly((int) 'e');
    s = d.advance(s, 'e');
    assertThat(d.isComplete(s)).isTrue();
    assertThat(allowed(d, s, 100)).containsExactly(EOS);
    assertThat(d.advance(s, EOS)).isSameAs(s);
    assertThatThrownBy(() -> d.advance(d.start(), EOS)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> d.advance(d.start(), 'x')).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot follow");
  }

  @Test
  void theBudgetForcesTheShortestCompletion() {
    ConstrainedDecoder d = decoder("""
        {"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer","minimum":0}},"required":["a"]}""",
        BYTES);
    int min = d.minTokensToComplete(d.start());
    assertThat(min).isEqualTo("{\"a\":\"\"}".length());
    ConstrainedDecoder.State s = feed(d, d.start(), "{\"a\":\"");
    assertThat(d.minTokensToComplete(s)).isEqualTo(2);
    assertThat(allowed(d, s, 2)).as("only the closing quote fits").containsExactly((int) '"');
    assertThat(allowed(d, s, 3)).as("one more ASCII character fits, a 2-byte character does not")
        .contains((int) 'a', (int) '"').doesNotContain((int) '\\', 0xC3);
    assertThat(allowed(d, s, 4)).contains((int) '\\', 0xC3).doesNotContain(0xE6);
    assertThat(allowed(d, s, 5)).contains(0xE6).doesNotContain(0xF0);
    s = d.advance(s, '"');
    assertThat(allowed(d, s, 1)).containsExactly((int) '}');
    assertThat(allowed(d, s, 6)).as("no room for ,\"b\":0").containsExactly((int) '}');
    assertThat(allowed(d, s, 7)).containsExactly((int) ',', (int) '}');
    assertThat(allowed(d, s, 0)).as("an exhausted budget allows nothing").isEmpty();
    ConstrainedDecoder.State closed = d.advance(s, '}');
    assertThat(d.minTokensToComplete(closed)).isZero();
    assertThat(allowed(d, closed, 0)).as("EOS is always allowed once complete").containsExactly(EOS);
  }

  @Test
  void aBudgetBelowTheMinimumAllowsNothing() {
    ConstrainedDecoder d = decoder("{\"type\":\"object\",\"properties\":{\"abc\":{\"type\":\"null\"}},"
        + "\"required\":[\"abc\"]}", BYTES);
    int min = d.minTokensToComplete(d.start());
    assertThat(min).isEqualTo("{\"abc\":null}".length());
    assertThat(allowed(d, d.start(), min - 1)).isEmpty();
    assertThat(allowed(d, d.start(), min)).containsExactly((int) '{');
  }

  @Test
  void tokensMaySplitAMultiByteCharacter() {
    byte[] to = "東".getBytes(StandardCharsets.UTF_8); // E6 9D B1
    List<byte[]> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(new byte[] {(byte) b});
    }
    tokens.add(new byte[] {to[0], to[1]});                  // 256: first two bytes
    tokens.add(new byte[] {to[2], '"'});                    // 257: last byte and the closing quote
    tokens.add(new byte[] {to[2], to[0]});                  // 258: last byte and the next character's lead
    tokens.add(new byte[] {'"', to[0]});                    // 259: opening quote and a lead byte
    tokens.add(null);                                       // 260: EOS
    TokenVocabulary vocab = new TokenVocabulary(tokens, Set.of(260));
    ConstrainedDecoder d = decoder("{\"type\":\"string\",\"maxLength\":1}", vocab);
    ConstrainedDecoder.State s = d.start();
    assertThat(allowed(d, s, 10)).contains(259, (int) '"').doesNotContain(256, 257, 258);
    s = d.advance(s, 259);
    assertThat(allowed(d, s, 10)).as("continuation bytes only").contains(0x9D).allMatch(t -> t >= 0x80 && t <= 0xBF);
    s = d.advance(s, 0x9D);
    assertThat(allowed(d, s, 10)).as("the last byte, alone or with the quote; not a second character")
        .contains(0xB1, 257).doesNotContain(258);
    assertThat(allowed(d, s, 1)).as("one token left: it must close the string").containsExactly(257);
    s = d.advance(s, 257);
    assertThat(d.isComplete(s)).isTrue();

    ConstrainedDecoder two = decoder("{\"type\":\"string\",\"maxLength\":2}", vocab);
    ConstrainedDecoder.State t = two.advance(two.start(), '"');
    t = two.advance(t, 256);
    assertThat(allowed(two, t, 10)).contains(258, 257, 0xB1);
    t = two.advance(t, 258);
    t = two.advance(t, 0x9D);
    assertThat(allowed(two, t, 10)).contains(257, 0xB1).doesNotContain(258);
    t = two.advance(t, 257);
    assertThat(two.isComplete(t)).isTrue();
  }

  /**
   * Masks against their definition, token by token: a token is allowed with {@code r} tokens left exactly when it can
   * follow and leaves a completion of at most {@code r - 1} tokens (EOS when complete). Walks a schema whose string
   * has a minLength (inside it, before minLength, nearly every token has its own completion cost) with every budget
   * from tight to loose, so masks keep or drop tokens by cost at each position (and positions before minLength
   * share masks with shifted costs).
   */
  @Test
  void masksAllowExactlyTheTokensThatLeaveACompletionWithinTheBudget() {
    TokenVocabulary vocab = TestVocabularies.vocabulary(1200, 5);
    ConstrainedDecoder d = decoder("{\"type\":\"object\",\"properties\":{\"urgency\":{\"type\":\"integer\","
        + "\"minimum\":1,\"maximum\":5},\"summary\":{\"type\":\"string\",\"minLength\":30,\"maxLength\":50}},"
        + "\"required\":[\"urgency\",\"summary\"],\"additionalProperties\":false}", vocab);
    Random random = new Random(11);
    int checked = 0;
    for (int run = 0; run < 4; run++) {
      ConstrainedDecoder.State s = d.start();
      for (int step = 0; step < 80; step++) {
        int need = Math.max(1, d.minTokensToComplete(s));
        for (int remaining : new int[] {need, need + 1, need + 3, need + 10, need + 40}) {
          List<Integer> expected = new ArrayList<>();
          for (int t = 0; t < vocab.size(); t++) {
            if (vocab.bytes(t) == null) {
              if (d.isComplete(s) && t == vocab.size() - 1) {
                expected.add(t);
              }
              continue;
            }
            try {
              if (d.minTokensToComplete(d.advance(s, t)) <= remaining - 1) {
                expected.add(t);
              }
            } catch (IllegalArgumentException cannotFollow) {
              // not allowed
            }
          }
          assertThat(allowed(d, s, remaining)).as("at %s with %d left", s, remaining).isEqualTo(expected);
          checked++;
        }
        int[] ids = ids(maskOf(d, s, need + 40));
        int token = ids[random.nextInt(ids.length)];
        if (vocab.bytes(token) == null) {
          break;
        }
        s = d.advance(s, token);
      }
    }
    assertThat(checked).isGreaterThan(200);
    // positions before minLength that no token takes to it share the mask of an earlier one, shifted
    assertThat(d.sharedStringMasks()).isPositive();
    assertThat(d.stringMasks()).isPositive();
  }

  private static long[] maskOf(ConstrainedDecoder d, ConstrainedDecoder.State s, int remaining) {
    long[] mask = new long[d.vocabulary().maskWords()];
    d.allowedTokens(s, remaining, mask);
    return mask;
  }

  @Test
  void cachedMasksEqualMasksComputedFromScratch() {
    TokenVocabulary vocab = TestVocabularies.vocabulary(3000, 3);
    Random random = new Random(77);
    String[] schemas = {
        "{\"type\":\"string\",\"maxLength\":120}",
        "{\"type\":\"string\",\"minLength\":5,\"maxLength\":60}",
        "{\"type\":\"string\",\"maxLength\":8}",
        "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":6}}",
        SchemaConstraintBench.TRIAGE,
        "{\"type\":\"array\",\"items\":{\"type\":\"number\",\"minimum\":-3.5,\"maximum\":1e6},\"maxItems\":4}"};
    long[] cached = new long[vocab.maskWords()];
    long[] fresh = new long[vocab.maskWords()];
    int compared = 0;
    for (String schema : schemas) {
      ConstrainedDecoder d = decoder(schema, vocab);
      for (int run = 0; run < 10; run++) {
        int budget = d.minTokensToComplete(d.start()) + random.nextInt(150);
        ConstrainedDecoder.State s = d.start();
        for (int remaining = budget; remaining > 0; remaining--) {
          d.allowedTokens(s, remaining, cached);
          d.allowedTokensUncached(s, remaining, fresh);
          assertThat(cached).as("%s at %s with %d left", schema, s, remaining).isEqualTo(fresh);
          compared++;
          int[] ids = ids(cached);
          int token = ids[random.nextInt(ids.length)];
          if (vocab.bytes(token) == null) {
            break;
          }
          s = d.advance(s, token);
        }
      }
    }
    assertThat(compared).isGreaterThan(2000);
  }

  @Test
  void concurrentGenerationsOnAFreshDecoderMatchSequentialOnes() throws Exception {
    TokenVocabulary vocab = TestVocabularies.vocabulary(4000, 9);
    String schema = SchemaConstraintBench.TRIAGE;
    List<String> sequential = new ArrayList<>();
    ConstrainedDecoder warm = decoder(schema, vocab);
    for (int i = 0; i < 16; i++) {
      sequential.add(text(RandomWalk.generate(warm, 300, new Random(i))));
    }
    // a different vocabulary instance gives a fresh decoder with empty caches
    TokenVocabulary other = TestVocabularies.vocabulary(4000, 9);
    ConstrainedDecoder fresh = decoder(schema, other);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        int seed = i;
        futures.add(pool.submit(() -> text(RandomWalk.generate(fresh, 300, new Random(seed)))));
      }
      for (int i = 0; i < 16; i++) {
        assertThat(futures.get(i).get()).isEqualTo(sequential.get(i));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void duplicateAndPrefixTokensAreAllAllowed() {
    List<byte[]> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(new byte[] {(byte) b});
    }
    for (String t : new String[] {"\"ab", "\"ab", "\"a", "\"abc\"", "\"abd\"", "ab\""}) {
      tokens.add(t.getBytes(StandardCharsets.UTF_8)); // 256..261
    }
    tokens.add(null);
    TokenVocabulary vocab = new TokenVocabulary(tokens, Set.of(262));
    ConstrainedDecoder d = decoder("{\"enum\":[\"abc\",\"ab\"]}", vocab);
    assertThat(allowed(d, d.start(), 10)).containsExactly((int) '"', 256, 257, 258, 259);
    ConstrainedDecoder.State s = d.advance(d.start(), 257);
    assertThat(allowed(d, s, 10)).containsExactly((int) '"', (int) 'c');
    assertThat(allowed(d, d.advance(d.start(), '"'), 10)).containsExactly((int) 'a', 261);
  }

  @Test
  void prewarmFillsTheCaches() {
    ConstrainedDecoder d = decoder(SchemaConstraintBench.TRIAGE, TestVocabularies.vocabulary(2000, 21));
    assertThat(d.trieWalks()).isZero();
    d.prewarm(5, 200, 1);
    int walks = d.trieWalks();
    assertThat(walks).isGreaterThan(20);
    assertThat(d.statesBuilt()).isGreaterThan(100);
  }

  @Test
  void decodersAreCachedPerSchemaAndVocabulary() {
    CompiledSchema s = SchemaLanguageTest.compile("{\"type\":\"null\"}");
    assertThat(ConstrainedDecoder.of(s, BYTES)).isSameAs(ConstrainedDecoder.of(s, BYTES));
  }

  @Test
  void aVocabularyThatCannotSpellTheSchemaIsRefused() {
    List<byte[]> tokens = new ArrayList<>(List.of("a".getBytes(StandardCharsets.UTF_8)));
    tokens.add(null);
    TokenVocabulary vocab = new TokenVocabulary(tokens, Set.of(1));
    assertThatThrownBy(() -> decoder("{\"type\":\"null\"}", vocab))
        .isInstanceOf(UnsupportedSchemaException.class).hasMessageContaining("single-byte tokens");
  }

  private static String text(RandomWalk.Generation g) {
    return new String(g.bytes(), StandardCharsets.UTF_8) + "|" + g.tokens();
  }

  private static int[] ids(long[] mask) {
    return IntStream.range(0, mask.length * 64).filter(t -> (mask[t >>> 6] & (1L << t)) != 0).toArray();
  }
}
