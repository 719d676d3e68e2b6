package dev.kamado.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A varied, deterministic Japanese + English text of any size, for training vocabularies of thousands of tokens: a
 * lexicon of generated words (English-like syllable words, hiragana, katakana and kanji compounds, numbers) drawn
 * with a Zipf distribution into sentences, mixed with {@link TestCorpus} lines.
 */
final class SyntheticCorpus {

  private static final String[] SYLLABLES = {"ka", "to", "re", "in", "an", "er", "on", "st", "th", "ing", "ed", "al",
      "pro", "con", "de", "ment", "tion", "ver", "ser", "com", "ly", "ar", "or", "ic", "ent", "ous", "ble", "ge", "ma",
      "ri", "lo", "pe", "su", "ne", "di", "ba", "mi", "co", "la", "te"};
  private static final String HIRAGANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼ";
  private static final String KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボー";
  private static final String PARTICLES_JA = "はがをにでとのもへや";

  private SyntheticCorpus() {
  }

  /** About {@code chars} characters of text in lines, the same for the same seed. */
  static List<String> lines(long seed, int chars) {
    Random r = new Random(seed);
    List<String> lexicon = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      lexicon.add(word(r, i % 5));
    }
    double[] cumulative = new double[lexicon.size()];
    double sum = 0;
    for (int i = 0; i < cumulative.length; i++) {
      sum += 1.0 / (i + 1);
      cumulative[i] = sum;
    }
    List<String> out = new ArrayList<>();
    int total = 0;
    List<String> fixed = TestCorpus.lines(seed, chars / 10);
    int fixedIndex = 0;
    while (total < chars) {
      StringBuilder line = new StringBuilder();
      boolean japanese = r.nextBoolean();
      int n = 4 + r.nextInt(14);
      for (int w = 0; w < n; w++) {
        String word = lexicon.get(zipf(r, cumulative, sum));
        if (japanese) {
          line.append(word).append(PARTICLES_JA.charAt(r.nextInt(PARTICLES_JA.length())));
          if (r.nextInt(6) == 0) {
            line.append(r.nextBoolean() ? "、" : "。");
          }
        } else {
          line.append(w == 0 ? "" : " ").append(word);
          if (r.nextInt(8) == 0) {
            line.append(r.nextBoolean() ? "," : ".");
          }
        }
      }
      line.append(japanese ? "。\n" : ".\n");
      if (r.nextInt(5) == 0 && fixedIndex < fixed.size()) {
        line.append(fixed.get(fixedIndex++));
      }
      out.add(line.toString());
      total += line.length();
    }
    return out;
  }

  private static int zipf(Random r, double[] cumulative, double sum) {
    double u = r.nextDouble() * sum;
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static String word(Random r, int kind) {
    StringBuilder w = new StringBuilder();
    switch (kind) {
      case 0:
      case 1: {
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
          w.append(SYLLABLES[r.nextInt(SYLLABLES.length)]);
        }
        if (r.nextInt(10) == 0) {
          w.setCharAt(0, Character.toUpperCase(w.charAt(0)));
        }
        return w.toString();
      }
      case 2: {
        int n = 2 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
          w.append(HIRAGANA.charAt(r.nextInt(HIRAGANA.length())));
        }
        return w.toString();
      }
      case 3: {
        int n = 2 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
          w.append(KATAKANA.charAt(r.nextInt(KATAKANA.length())));
        }
        return w.toString();
      }
      default: {
        if (r.nextInt(5) == 0) {
          return Integer.toString(r.nextInt(100_000));
        }
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
          // the 1500 most common CJK ideographs sit roughly in the first part of the block
          w.appendCodePoint(0x4E00 + (int) Math.abs(r.nextGaussian() * 1500) % 20_000);
        }
        return w.toString();
      }
    }
  }
}
