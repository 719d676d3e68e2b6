package dev.kamado.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A deterministic Japanese + English + JSON corpus built from fragments, of any size. */
final class TestCorpus {

  static final List<String> SAMPLES = List.of(
      "Hello, world! How are you today?",
      "吾輩は猫である。名前はまだ無い。",
      "東京都渋谷区のオフィスで、明日の会議について問い合わせがありました。",
      "ラーメンとコーヒーが好きです。カタカナ、ひらがな、漢字。",
      "Emoji: 😀🎉👍🏽 and flags 🇯🇵 — done.",
      "{\"category\": \"請求\", \"urgency\": \"high\", \"due\": \"2026-12-01\", \"ok\": true}",
      "  leading and trailing spaces  ",
      "tabs\tand\nnew\r\nlines\n\n",
      "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３ and half-width ｶﾀｶﾅ",
      "数字: 0 1 12 123 1234 3.14159 -7 1,000,000",
      "I'm sure they'll say it's fine; we've done what we'd planned.",
      "def add(a, b):\n    return a + b\n",
      "ÀÉÎõü ñ ç ß œ ø å — “quotes” ‘single’ …",
      "가나다 한국어 / Русский текст / Ελληνικά / العربية",
      "");

  private static final String[] JA_SUBJECTS = {"私", "弊社の経理部", "お客様", "営業チーム", "システム管理者", "山田さん",
      "サポート窓口", "人事部"};
  private static final String[] JA_OBJECTS = {"請求書", "パスワード", "会議室の予約", "サーバーの障害", "契約書",
      "出張の申請", "新しいノートパソコン", "アカウント"};
  private static final String[] JA_VERBS = {"を確認してください", "について問い合わせがあります", "が届いていません",
      "を至急対応してほしいです", "の期限は来週の金曜日です", "がうまく動きません", "を変更したいと考えています"};
  private static final String[] EN_SUBJECTS = {"The customer", "Our finance team", "A new employee", "The server",
      "My manager", "The vendor", "Support"};
  private static final String[] EN_VERBS = {"cannot log in to", "asked about", "needs an update on", "reported a bug in",
      "wants to cancel", "is waiting for"};
  private static final String[] EN_OBJECTS = {"the invoice", "the VPN", "the quarterly report", "the contract",
      "the new laptop", "the meeting room", "the shared drive"};
  private static final String[] CATEGORIES = {"billing", "it", "hr", "facilities", "legal"};

  private TestCorpus() {
  }

  /** About {@code chars} characters of text, in lines, the same for the same seed. */
  static List<String> lines(long seed, int chars) {
    Random r = new Random(seed);
    List<String> out = new ArrayList<>();
    int total = 0;
    while (total < chars) {
      String line;
      switch (r.nextInt(4)) {
        case 0:
          line = pick(r, JA_SUBJECTS) + "から、" + pick(r, JA_OBJECTS) + pick(r, JA_VERBS) + "。"
              + pick(r, JA_OBJECTS) + "は" + (1 + r.nextInt(28)) + "日までにお願いします。\n";
          break;
        case 1:
          line = pick(r, EN_SUBJECTS) + " " + pick(r, EN_VERBS) + " " + pick(r, EN_OBJECTS) + " since "
              + (1 + r.nextInt(12)) + "/" + (1 + r.nextInt(28)) + ", ticket #" + r.nextInt(100000) + ".\n";
          break;
        case 2:
          line = "{\"category\": \"" + pick(r, CATEGORIES) + "\", \"urgency\": " + r.nextInt(5)
              + ", \"summary\": \"" + pick(r, JA_OBJECTS) + pick(r, JA_VERBS) + "\"}\n";
          break;
        default:
          line = SAMPLES.get(r.nextInt(SAMPLES.size())) + "\n";
      }
      out.add(line);
      total += line.length();
    }
    return out;
  }

  private static String pick(Random r, String[] options) {
    return options[r.nextInt(options.length)];
  }
}
