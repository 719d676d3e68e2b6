package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** The incremental trainer gives exactly the merges of a plain one that recounts every pair before each merge. */
class BpeTrainerReferenceTest {

  @Test
  void incrementalPairCountsGiveTheSameMergesAsRecountingEverything() {
    List<String> corpus = new ArrayList<>(SyntheticCorpus.lines(5, 30_000));
    corpus.add("aaaaaaa bbbbbb aaaa ああああああ 😀😀😀😀"); // runs of one symbol: overlapping pairs
    BpeTrainer trainer = new BpeTrainer(900);
    corpus.forEach(trainer::add);
    BpeModel fast = trainer.train();
    BpeModel slow = recountingTrainer(corpus, 900, 2, BpeTrainer.DEFAULT_SPECIAL_TOKENS.size());
    assertThat(fast.merges()).hasSameSizeAs(slow.merges());
    for (int i = 0; i < fast.merges().size(); i++) {
      assertThat(fast.merges().get(i)).as("merge %d", i).containsExactly(slow.merges().get(i));
    }
    for (int id = 0; id < fast.vocabSize(); id++) {
      assertThat(fast.tokenBytes().get(id)).as("token %d", id).isEqualTo(slow.tokenBytes().get(id));
    }
  }

  /** The textbook algorithm: count every adjacent pair of every word, merge the best, repeat. */
  static BpeModel recountingTrainer(List<String> texts, int vocabSize, int minFrequency, int specials) {
    Map<String, Long> counts = new TreeMap<>();
    for (String t : texts) {
      Matcher m = PreTokenizerRegex.JAVA.matcher(Normalizer.normalize(t, Normalizer.Form.NFC));
      while (m.find()) {
        counts.merge(m.group(), 1L, Long::sum);
      }
    }
    List<List<Integer>> words = new ArrayList<>();
    List<Long> freq = new ArrayList<>();
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      List<Integer> w = new ArrayList<>();
      for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) {
        w.add(specials + (b & 0xFF));
      }
      words.add(w);
      freq.add(e.getValue());
    }
    List<byte[]> tokens = new ArrayList<>();
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < specials; i++) {
      tokens.add(null);
    }
    for (int b = 0; b < 256; b++) {
      tokens.add(new byte[] {(byte) b});
      ids.put(Arrays.toString(new byte[] {(byte) b}), specials + b);
    }
    List<int[]> merges = new ArrayList<>();
    while (tokens.size() < vocabSize) {
      Map<Long, Long> pairCounts = new HashMap<>();
      for (int w = 0; w < words.size(); w++) {
        List<Integer> word = words.get(w);
        for (int i = 0; i + 1 < word.size(); i++) {
          pairCounts.merge(((long) word.get(i) << 32) | word.get(i + 1), freq.get(w), Long::sum);
        }
      }
      long best = -1;
      long bestCount = 0;
      for (Map.Entry<Long, Long> e : pairCounts.entrySet()) {
        long k = e.getKey();
        long c = e.getValue();
        if (c > bestCount || (c == bestCount && lexLess(k, best, tokens))) {
          best = k;
          bestCount = c;
        }
      }
      if (best < 0 || bestCount < minFrequency) {
        break;
      }
      int left = (int) (best >>> 32);
      int right = (int) best;
      byte[] merged = new byte[tokens.get(left).length + tokens.get(right).length];
      System.arraycopy(tokens.get(left), 0, merged, 0, tokens.get(left).length);
      System.arraycopy(tokens.get(right), 0, merged, tokens.get(left).length, tokens.get(right).length);
      Integer id = ids.get(Arrays.toString(merged));
      if (id == null) {
        id = tokens.size();
        tokens.add(merged);
        ids.put(Arrays.toString(merged), id);
      }
      merges.add(new int[] {left, right, id});
      for (List<Integer> word : words) {
        for (int i = 0; i + 1 < word.size(); i++) {
          if (word.get(i) == left && word.get(i + 1) == right) {
            word.set(i, id);
            word.remove(i + 1);
          }
        }
      }
    }
    return new BpeModel(BpeTrainer.DEFAULT_SPECIAL_TOKENS, tokens, merges);
  }

  private static boolean lexLess(long a, long b, List<byte[]> tokens) {
    int c = Arrays.compareUnsigned(tokens.get((int) (a >>> 32)), tokens.get((int) (b >>> 32)));
    if (c != 0) {
      return c < 0;
    }
    return Arrays.compareUnsigned(tokens.get((int) a), tokens.get((int) b)) < 0;
  }
}
