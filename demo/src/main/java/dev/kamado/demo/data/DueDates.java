package dev.kamado.demo.data;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Writes a deadline the way employees do (absolute in several notations, or relative to the day the message was
 * written) and knows the ISO date each way of writing it means. The resolution rules, which the records follow:
 * <ul>
 *   <li>a month and day without a year is the next such day on or after the reference date;</li>
 *   <li>"this Friday" / 今週の金曜日 is the Friday of the reference date's week (only used Monday to Thursday);</li>
 *   <li>"next Friday" / 来週の金曜日 and "next Monday" / 来週の月曜日 are those days of the following week
 *       (weeks start on Monday);</li>
 *   <li>"the end of the month" / 今月末 is the last day of the reference date's month (not used on that day).</li>
 * </ul>
 */
public final class DueDates {
  /** A deadline as written in a message, and the date it means. */
  public record DueDate(String expression, LocalDate date) {}

  private DueDates() {}

  /** An absolute deadline 1 to 40 days after {@code reference}, written in one of the language's notations. */
  public static DueDate absolute(String language, LocalDate reference, RandomGenerator random) {
    return absolute(language, reference, random, DeadlineMix.NATURAL);
  }

  /**
   * An absolute deadline as {@link #absolute(String, LocalDate, RandomGenerator)} writes it, with Japanese full-width
   * digits as often as {@code mix} says.
   */
  public static DueDate absolute(String language, LocalDate reference, RandomGenerator random, DeadlineMix mix) {
    LocalDate due = reference.plusDays(1 + random.nextInt(40));
    return new DueDate(language.equals("ja") ? japanese(due, random, mix) : english(due, random), due);
  }

  /** A deadline relative to {@code reference}: tomorrow, this/next Friday, next Monday, the end of the month. */
  public static DueDate relative(String language, LocalDate reference, RandomGenerator random) {
    boolean ja = language.equals("ja");
    int kind = random.nextInt(6);
    if (kind == 2 && reference.getDayOfWeek().getValue() >= DayOfWeek.FRIDAY.getValue()) {
      kind = 3;
    }
    if (kind == 5 && reference.equals(reference.with(TemporalAdjusters.lastDayOfMonth()))) {
      kind = 0; // "the end of the month" on its last day would be no deadline after the message
    }
    return switch (kind) {
      case 0 -> new DueDate(ja ? "明日" : "tomorrow", reference.plusDays(1));
      case 1 -> new DueDate(ja ? "明後日" : "the day after tomorrow", reference.plusDays(2));
      case 2 -> new DueDate(ja ? pick(random, "今週の金曜日", "今週金曜") : "this Friday",
          reference.with(TemporalAdjusters.nextOrSame(DayOfWeek.FRIDAY)));
      case 3 -> new DueDate(ja ? pick(random, "来週の金曜日", "来週金曜") : "next Friday",
          reference.with(TemporalAdjusters.next(DayOfWeek.MONDAY)).plusDays(4));
      case 4 -> new DueDate(ja ? pick(random, "来週の月曜日", "来週月曜") : "next Monday",
          reference.with(TemporalAdjusters.next(DayOfWeek.MONDAY)));
      default -> new DueDate(ja ? "今月末" : pick(random, "the end of the month", "the end of this month"),
          reference.with(TemporalAdjusters.lastDayOfMonth()));
    };
  }

  private static String english(LocalDate d, RandomGenerator random) {
    String shortMonth = d.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
    String longMonth = d.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    int m = d.getMonthValue();
    int day = d.getDayOfMonth();
    return switch (random.nextInt(8)) {
      case 0 -> d.toString();
      case 1 -> String.format(Locale.ROOT, "%d/%02d/%02d", d.getYear(), m, day);
      case 2 -> m + "/" + day;
      case 3 -> shortMonth + " " + day;
      case 4 -> longMonth + " " + day;
      case 5 -> longMonth + " " + day + ordinalSuffix(day);
      case 6 -> day + " " + shortMonth;
      default -> d.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH) + ", " + shortMonth + " " + day;
    };
  }

  private static String japanese(LocalDate d, RandomGenerator random, DeadlineMix mix) {
    int m = d.getMonthValue();
    int day = d.getDayOfMonth();
    int notation = mix.natural() ? random.nextInt(7)
        : random.nextInt(100) < mix.fullWidthPercent() ? 6 : random.nextInt(6);
    return switch (notation) {
      case 0 -> String.format(Locale.ROOT, "%d/%02d/%02d", d.getYear(), m, day);
      case 1 -> d.toString();
      case 2 -> d.getYear() + "年" + m + "月" + day + "日";
      case 3 -> m + "月" + day + "日";
      case 4 -> m + "/" + day;
      case 5 -> "令和" + (d.getYear() - 2018) + "年" + m + "月" + day + "日";
      default -> fullWidth(m + "月" + day + "日");
    };
  }

  static String ordinalSuffix(int day) {
    if (day >= 11 && day <= 13) {
      return "th";
    }
    return switch (day % 10) {
      case 1 -> "st";
      case 2 -> "nd";
      case 3 -> "rd";
      default -> "th";
    };
  }

  static String fullWidth(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      b.append(c >= '0' && c <= '9' ? (char) ('０' + (c - '0')) : c);
    }
    return b.toString();
  }

  private static String pick(RandomGenerator random, String a, String b) {
    return random.nextBoolean() ? a : b;
  }
}
