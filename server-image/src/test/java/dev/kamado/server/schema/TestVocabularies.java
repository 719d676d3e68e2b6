package dev.kamado.server.schema;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Deterministic byte-level BPE-like vocabularies for tests and benchmarks: the 256 single bytes (as every byte-level
 * BPE has), then merges of JSON punctuation, English words, numbers, escapes and Japanese text, including fragments
 * that end or start in the middle of a UTF-8 character, then two special tokens (a BOS and the EOS, last id).
 */
final class TestVocabularies {
  private static final String[] JSON = {"{\"", "\":", "\",\"", "\"}", "},", "\":\"", "\":[", "\":{", "null", "true",
    "false", "[]", "{}", "[\"", "\"]", "],", "\",", ",\"", "\":\"\"", "\"\"", "\\n", "\\\"", "\\\\", "\\u",
    "\\u00", "\\u30", "\\t", "\\/", "0.", ".0", ".5", "-1", "-0", "00", "10", "100", "1.", "e", "E", "\":null",
    "\":true", "\":false", "\":0", "\":1", "}]", "]}", "}}", "\"},{\"", "\u3000", " \"", "\" "};
  private static final String[] WORDS = {"the", "a", "name", "id", "status", "priority", "high", "low", "medium",
    "summary", "date", "due", "tags", "team", "owner", "open", "closed", "error", "bug", "feature", "request",
    "customer", "order", "item", "price", "count", "value", "type", "category", "urgent", "login", "page",
    "payment", "failed", "timeout", "server", "user", "report", "ticket", "issue", "email", "phone", "address",
    "city", "country", "2024", "2025", "01", "12", "31", "-", "_", "http", "://", ".com", "yes", "no", "ok"};
  private static final String[] JAPANESE = {"の", "に", "は", "を", "た", "が", "で", "て", "と", "し", "れ", "さ",
    "ある", "いる", "する", "こと", "これ", "それ", "日本", "東京", "大阪", "会社", "顧客", "注文", "支払い",
    "エラー", "ログイン", "ページ", "問題", "緊急", "対応", "確認", "お願い", "します", "ました", "です", "ません",
    "サーバー", "タイムアウト", "要約", "優先度", "高", "中", "低", "今日", "明日", "年", "月", "日", "、", "。",
    "「", "」", "・", "ー", "😀", "🎉"};

  private TestVocabularies() {
  }

  /** About {@code size} tokens (at least 256 + the fragments), the EOS being the last id. */
  static List<byte[]> tokens(int size, long seed) {
    Set<String> seen = new LinkedHashSet<>();
    List<byte[]> out = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      out.add(new byte[] {(byte) b});
      seen.add(key(out.get(b)));
    }
    List<byte[]> fragments = new ArrayList<>();
    for (String s : JSON) {
      fragments.add(utf8(s));
    }
    for (String w : WORDS) {
      fragments.add(utf8(w));
      fragments.add(utf8(" " + w));
      fragments.add(utf8(Character.toUpperCase(w.charAt(0)) + w.substring(1)));
      fragments.add(utf8("\"" + w + "\":"));
      fragments.add(utf8("\"" + w));
    }
    for (String j : JAPANESE) {
      byte[] u = utf8(j);
      fragments.add(u);
      if (u.length >= 3) { // partial characters: first bytes, and last byte
        fragments.add(java.util.Arrays.copyOf(u, 2));
        fragments.add(java.util.Arrays.copyOfRange(u, u.length - 1, u.length));
        fragments.add(java.util.Arrays.copyOfRange(u, 1, u.length));
      }
    }
    for (int i = 0; i < 100; i++) {
      fragments.add(utf8(Integer.toString(i)));
    }
    for (byte[] f : fragments) {
      if (seen.add(key(f)) && out.size() < size - 2) {
        out.add(f);
      }
    }
    Random random = new Random(seed);
    int attempts = 0;
    while (out.size() < size - 2 && attempts++ < size * 20) {
      ByteArrayOutputStream merged = new ByteArrayOutputStream();
      int parts = 2 + random.nextInt(3);
      for (int p = 0; p < parts; p++) {
        byte[] f = random.nextInt(4) == 0 ? out.get(random.nextInt(out.size()))
            : fragments.get(random.nextInt(fragments.size()));
        merged.writeBytes(f);
      }
      byte[] bytes = merged.toByteArray();
      if (random.nextInt(6) == 0 && bytes.length > 2) { // a cut anywhere, possibly inside a character
        bytes = java.util.Arrays.copyOfRange(bytes, random.nextInt(bytes.length / 2), bytes.length);
      }
      if (bytes.length <= 24 && seen.add(key(bytes))) {
        out.add(bytes);
      }
    }
    out.add(null); // BOS-like special token
    out.add(null); // EOS
    return out;
  }

  /** A vocabulary of {@link #tokens} with the last id as EOS. */
  static TokenVocabulary vocabulary(int size, long seed) {
    List<byte[]> tokens = tokens(size, seed);
    return new TokenVocabulary(tokens, Set.of(tokens.size() - 1));
  }

  /** Only the 256 single bytes and an EOS (id 256). */
  static TokenVocabulary bytesOnly() {
    List<byte[]> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(new byte[] {(byte) b});
    }
    tokens.add(null);
    return new TokenVocabulary(tokens, Set.of(256));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String key(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }
}
