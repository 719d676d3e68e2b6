package dev.kamado.model.tokenizer;

import java.util.regex.Pattern;

/**
 * The split regex of tokenizers made by {@link BpeTrainer}: GPT-2/Qwen-like (English contractions, words with one
 * leading space, every digit on its own as Llama and Qwen2 split numbers, punctuation runs, whitespace), with Japanese
 * kept sensible: runs of kanji, of hiragana and of katakana (with the long-vowel mark {@code ー}) are separate pieces,
 * so that frequent morphemes and okurigana become tokens instead of whole phrases.
 *
 * <p>Single digits keep dates and amounts compositional: a small model learns "the day after the 28th" or "7月" as
 * July from ten digit tokens instead of a token per number from 0 to 999 (and the same for full-width digits).
 *
 * <p>The same expression is written to tokenizer.json in the Oniguruma syntax that Hugging Face {@code tokenizers}
 * runs ({@link #ONIGURUMA}) and used in Java ({@link #JAVA}) to count words while training; the two differ only in
 * how script properties are spelled.
 */
public final class PreTokenizerRegex {

  /** The expression as written to tokenizer.json (a {@code Split} pre-tokenizer, behaviour {@code Isolated}). */
  public static final String ONIGURUMA = "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
      + "| ?\\p{Han}+"
      + "| ?[\\p{Hiragana}ー]+"
      + "| ?[\\p{Katakana}ー]+"
      + "| ?[^\\P{L}\\p{Han}\\p{Hiragana}\\p{Katakana}]+"
      + "|\\p{N}"
      + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
      + "|\\s*[\\r\\n]+"
      + "|\\s+(?!\\S)"
      + "|\\s+";

  /** The same expression for {@link java.util.regex.Pattern} (with {@link Pattern#UNICODE_CHARACTER_CLASS}). */
  public static final Pattern JAVA = Pattern.compile(ONIGURUMA
      .replace("\\p{Han}", "\\p{IsHan}")
      .replace("\\p{Hiragana}", "\\p{IsHiragana}")
      .replace("\\p{Katakana}", "\\p{IsKatakana}"), Pattern.UNICODE_CHARACTER_CLASS);

  private PreTokenizerRegex() {
  }
}
