package dev.kamado.demo.data;

import dev.kamado.demo.data.PhraseBook.Department;
import dev.kamado.demo.data.PhraseBook.SystemName;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Generates internal inquiries in Japanese and English with their correct triage records, deterministically: the
 * inquiry at index {@code i} depends only on the seed and {@code i}.
 *
 * <p>Every field of the record is signalled in the text: the category by the topic sentence, the department and
 * requester by an introduction or signature, the urgency by a marker sentence (none means normal), the due date by
 * a deadline sentence (none means null), the systems by their spellings. The wording around them varies: politeness
 * (casual, polite, very formal), one-liners and long rambling messages, greetings, signatures and typos.
 */
public final class InquiryGenerator {
  /** Categories in schema order. */
  public static final List<String> CATEGORIES = List.of("account_access", "hardware", "software_install", "network",
      "email", "payroll", "expense", "leave_request", "facilities", "security_incident", "procurement", "hr_policy",
      "other");
  /** Urgency levels in schema order. */
  public static final List<String> URGENCIES = List.of("low", "normal", "high", "critical");

  private static final LocalDate FIRST_REFERENCE_DATE = LocalDate.of(2026, 9, 1);
  private static final int REFERENCE_DAYS = 300;
  private static final int SUMMARY_MAX_LENGTH = 80;

  private final long seed;
  private final PhraseBook phrases;

  public InquiryGenerator(long seed, PhraseBook phrases) {
    this.seed = seed;
    this.phrases = phrases;
  }

  /** The inquiry at {@code index}, with the natural mix of deadline forms. */
  public Inquiry generate(int index) {
    return generate(index, DeadlineMix.NATURAL);
  }

  /**
   * The inquiry at {@code index} with deadlines written as {@code mix} says. With {@link DeadlineMix#NATURAL} it is
   * exactly {@link #generate(int)}; another mix changes only how the deadline is written and what follows from it.
   */
  public Inquiry generate(int index, DeadlineMix mix) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
    String language = random.nextBoolean() ? "ja" : "en";
    String category = CATEGORIES.get(random.nextInt(CATEGORIES.size()));
    LocalDate reference = referenceDate(random);
    Message m = new Message(language, random);

    // Topic: the category's sentence, its thing and system.
    String[] topic = pick(random, phrases.list(language + ".topic." + category)).split("\\|\\|");
    String topicText = topic[0].strip();
    String summary = topic[1].strip();
    List<String> systems = new ArrayList<>();
    if (topicText.contains("{thing}")) {
      String thing = pick(random, phrases.list(language + ".thing." + category));
      topicText = topicText.replace("{thing}", thing);
      summary = summary.replace("{thing}", thing);
    }
    List<String> pool = List.of(phrases.list("pool." + category).get(0).split(" "));
    if (topicText.contains("{sys}")) {
      SystemName sys = phrases.system(pick(random, pool));
      systems.add(sys.canonical());
      m.values.put("{sys}", pick(random, sys.spellings(language)));
      summary = summary.replace("{sys}", sys.canonical());
    }
    if (language.equals("en")) {
      summary = Character.toUpperCase(summary.charAt(0)) + summary.substring(1);
    }
    if (summary.length() > SUMMARY_MAX_LENGTH) {
      throw new IllegalStateException("summary longer than " + SUMMARY_MAX_LENGTH + ": " + summary);
    }

    String urgency = urgency(random);
    String politeness = politeness(random);
    int style = random.nextInt(100); // < 15 one-liner, < 75 ordinary, else long
    Department dept = pick(random, phrases.departments());
    m.values.put("{dept}", pick(random, dept.spellings(language)));
    String requester = requesterName(language, politeness, random);
    m.values.put("{name}", requester);

    String dueDate = null;
    int dateKind = random.nextInt(100);
    if (dateKind >= 35) {
      boolean relative = mix.natural() ? dateKind >= 88 : random.nextInt(100) < mix.relativePercent();
      DueDates.DueDate due = relative ? DueDates.relative(language, reference, random)
          : DueDates.absolute(language, reference, random, mix);
      m.values.put("{date}", due.expression());
      dueDate = due.date().toString();
    }

    String secondSystem = null;
    boolean canAlsoMention = systems.size() == 1 && List.of("account_access", "network", "software_install",
        "security_incident").contains(category);
    if (canAlsoMention && random.nextInt(100) < 25) {
      List<String> others = pool.stream().filter(s -> !systems.contains(s)).toList();
      SystemName sys2 = phrases.system(pick(random, others));
      secondSystem = sys2.canonical();
      m.values.put("{sys2}", pick(random, sys2.spellings(language)));
    }

    String body = style < 15
        ? oneLiner(m, topicText, urgency, dueDate != null, secondSystem != null)
        : letter(m, topicText, urgency, politeness, dueDate != null, secondSystem != null, style >= 75);
    body = Typos.apply(language, body, random);
    body = m.fill(body);
    if (secondSystem != null) {
      systems.add(secondSystem);
    }
    String text = header(reference) + "\n\n" + body.strip();
    TriageRecord record = new TriageRecord(language, category, dept.value(), urgency, requester, dueDate, systems,
        summary);
    return new Inquiry(String.format(Locale.ROOT, "triage-%06d", index), reference, text, record);
  }

  /**
   * The first line of every inquiry: the day it was sent, with its weekday, as a ticket or mail system stamps it
   * ({@code Date: 2027-05-19 (Wed)}). Relative deadlines ("next Friday", 明後日) resolve against it.
   */
  public static String header(LocalDate reference) {
    return "Date: " + reference + " (" + reference.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH) + ")";
  }

  private static LocalDate referenceDate(SplittableRandom random) {
    LocalDate d = FIRST_REFERENCE_DATE.plusDays(random.nextInt(REFERENCE_DAYS));
    while (d.getDayOfWeek() == DayOfWeek.SATURDAY || d.getDayOfWeek() == DayOfWeek.SUNDAY) {
      d = d.plusDays(1);
    }
    return d;
  }

  private static String urgency(SplittableRandom random) {
    int u = random.nextInt(100);
    return u < 20 ? "low" : u < 60 ? "normal" : u < 85 ? "high" : "critical";
  }

  private static String politeness(SplittableRandom random) {
    int p = random.nextInt(100);
    return p < 30 ? "casual" : p < 75 ? "polite" : "formal";
  }

  private String requesterName(String language, String politeness, SplittableRandom random) {
    if (language.equals("ja")) {
      String family = pick(random, phrases.list("ja.family"));
      String given = pick(random, phrases.list("ja.given"));
      int form = random.nextInt(10);
      if (form < 2 && politeness.equals("casual")) {
        return family;
      }
      return form < 6 ? family + " " + given : family + given;
    }
    String first = pick(random, phrases.list("en.first"));
    String last = pick(random, phrases.list("en.last"));
    return random.nextInt(10) < 2 && !politeness.equals("formal") ? first : first + " " + last;
  }

  private String oneLiner(Message m, String topic, String urgency, boolean due, boolean also) {
    String lang = m.language;
    String sep = lang.equals("ja") ? "" : " ";
    StringBuilder b = new StringBuilder();
    if (urgency.equals("critical") && m.random.nextBoolean()) {
      b.append(urgencyMarker(m, urgency)).append(sep);
      urgency = "";
    }
    b.append(topic);
    if (also) {
      b.append(sep).append(pick(m.random, phrases.list(lang + ".also")));
    }
    if (due) {
      b.append(sep).append(pick(m.random, phrases.list(lang + ".date")));
    }
    if (!urgency.isEmpty() && !urgency.equals("normal")) {
      b.append(sep).append(urgencyMarker(m, urgency));
    }
    b.append(' ').append(pick(m.random, phrases.list(lang + ".oneliner.signature")));
    return b.toString();
  }

  private String letter(Message m, String topic, String urgency, String politeness, boolean due, boolean also,
      boolean long_) {
    String lang = m.language;
    boolean ja = lang.equals("ja");
    String sep = ja ? "" : " ";
    List<String> lines = new ArrayList<>();
    String greeting = pick(m.random, phrases.list(lang + ".greeting." + politeness));
    if (!(politeness.equals("casual") && m.random.nextInt(5) == 0)) {
      lines.add(greeting);
    }

    List<String> body = new ArrayList<>();
    boolean intro = ja ? !politeness.equals("casual") || m.random.nextBoolean() : m.random.nextBoolean();
    if (intro) {
      body.add(pick(m.random, phrases.list(ja ? "ja.intro." + politeness : "en.intro")));
    }
    if (long_ || m.random.nextInt(10) < 3) {
      body.add(pick(m.random, phrases.list(lang + ".preamble." + politeness)));
    }
    boolean urgencyFirst = !urgency.equals("normal") && m.random.nextInt(3) == 0;
    if (urgencyFirst) {
      body.add(urgencyMarker(m, urgency));
    }
    body.add(topic);
    if (also) {
      body.add(pick(m.random, phrases.list(lang + ".also")));
    }
    int rambles = long_ ? 2 + m.random.nextInt(3) : (m.random.nextInt(10) < 3 ? 1 : 0);
    List<String> rambleList = new ArrayList<>(phrases.list(lang + ".ramble"));
    int split = body.size();
    for (int i = 0; i < rambles; i++) {
      body.add(rambleList.remove(m.random.nextInt(rambleList.size())));
    }
    if (due) {
      body.add(pick(m.random, phrases.list(lang + ".date")));
    }
    if (!urgency.equals("normal") && !urgencyFirst) {
      body.add(urgencyMarker(m, urgency));
    }
    body.add(pick(m.random, phrases.list(lang + ".request." + politeness)));
    if (long_ && body.size() > 4) {
      lines.add(String.join(sep, body.subList(0, split)));
      lines.add("");
      lines.add(String.join(sep, body.subList(split, body.size())));
    } else {
      lines.add(String.join(sep, body));
    }
    lines.add("");
    String closing = pick(m.random, phrases.list(lang + ".closing." + politeness));
    String signature = pick(m.random, phrases.list(intro && m.random.nextBoolean()
        ? lang + ".signature.short" : lang + ".signature"));
    lines.add(closing);
    lines.add(signature);
    return String.join("\n", lines);
  }

  /** The urgency sentence, as a placeholder so that typos never blur it. */
  private String urgencyMarker(Message m, String urgency) {
    m.values.put("{urgency}", pick(m.random, phrases.list(m.language + ".urgency." + urgency)));
    return "{urgency}";
  }

  static <T> T pick(SplittableRandom random, List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  /** The message being written: its language, randomness and placeholder values. */
  private static final class Message {
    final String language;
    final SplittableRandom random;
    final java.util.Map<String, String> values = new java.util.LinkedHashMap<>();

    Message(String language, SplittableRandom random) {
      this.language = language;
      this.random = random;
    }

    String fill(String template) {
      String out = template;
      for (var e : values.entrySet()) {
        out = out.replace(e.getKey(), e.getValue());
      }
      if (out.contains("{")) {
        throw new IllegalStateException("unfilled placeholder in: " + out);
      }
      return out;
    }
  }
}
