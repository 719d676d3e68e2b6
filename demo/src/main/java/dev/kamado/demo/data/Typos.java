package dev.kamado.demo.data;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The slips people make when typing a quick message. English: two adjacent letters swapped in a word or two.
 * Japanese: kana/kanji spelling variants (下さい, おねがいします, 出来ません) and missing punctuation. Applied to the
 * message template before its placeholders are filled, so names, departments, systems and dates stay intact.
 */
public final class Typos {
  private static final Pattern WORD = Pattern.compile("(?<![{\\w])[A-Za-z]{5,}(?![}\\w])");
  private static final String[][] JA_VARIANTS = {
      {"ください", "下さい"}, {"お願いします", "おねがいします"}, {"できません", "出来ません"},
      {"すみません", "すいません"}, {"いただけますか", "頂けますか"},
      {"わかりません", "分かりません"}, {"問い合わせ", "問合せ"}};

  private Typos() {}

  /** {@code text} with typos or without, as {@code random} decides. */
  public static String apply(String language, String text, RandomGenerator random) {
    if (random.nextInt(100) >= (language.equals("ja") ? 35 : 30)) {
      return text;
    }
    return language.equals("ja") ? japanese(text, random) : english(text, random);
  }

  static String english(String text, RandomGenerator random) {
    List<int[]> words = new ArrayList<>();
    Matcher m = WORD.matcher(text);
    while (m.find()) {
      words.add(new int[] {m.start(), m.end()});
    }
    if (words.isEmpty()) {
      return text;
    }
    char[] chars = text.toCharArray();
    int swaps = 1 + random.nextInt(2);
    for (int i = 0; i < swaps; i++) {
      int[] w = words.get(random.nextInt(words.size()));
      int pos = w[0] + 1 + random.nextInt(w[1] - w[0] - 2);
      char c = chars[pos];
      chars[pos] = chars[pos + 1];
      chars[pos + 1] = c;
    }
    return new String(chars);
  }

  static String japanese(String text, RandomGenerator random) {
    String out = text;
    for (String[] v : JA_VARIANTS) {
      if (out.contains(v[0]) && random.nextBoolean()) {
        out = out.replace(v[0], v[1]);
      }
    }
    if (random.nextBoolean()) {
      out = dropSome(out, '。', random);
    }
    if (random.nextBoolean()) {
      out = dropSome(out, '、', random);
    }
    return out;
  }

  private static String dropSome(String text, char punctuation, RandomGenerator random) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean followedByText = i + 1 < text.length() && text.charAt(i + 1) != '\n';
      if (c == punctuation && followedByText && random.nextInt(3) == 0) {
        b.append(punctuation == '。' ? " " : "");
        continue;
      }
      b.append(c);
    }
    return b.toString();
  }
}
