package dev.kamado.demo.data;

/**
 * How often the generator writes a deadline in its rarer forms. The natural mix is what the inquiries of every split
 * follow by default; a training split may lean on the rare forms so that a small model sees enough of them (a
 * relative deadline needs calendar arithmetic from the {@code Date:} line, full-width digits need their own mapping),
 * while the test split keeps the natural mix.
 *
 * @param relativePercent share of the inquiries with a deadline whose deadline is relative (tomorrow, next Friday,
 *     the end of the month...), in percent
 * @param fullWidthPercent share of the Japanese absolute deadlines written in full-width digits (１２月１日), in
 *     percent
 */
public record DeadlineMix(int relativePercent, int fullWidthPercent) {
  /** The mix of the generator's inquiries: 12 of 65 deadlines relative, one Japanese notation in seven full-width. */
  public static final DeadlineMix NATURAL = new DeadlineMix(18, 14);

  public DeadlineMix {
    if (relativePercent < 0 || relativePercent > 100 || fullWidthPercent < 0 || fullWidthPercent > 100) {
      throw new IllegalArgumentException("deadline shares are percentages from 0 to 100; got relative "
          + relativePercent + ", full-width " + fullWidthPercent);
    }
  }

  /** Whether this is the generator's own mix, which draws exactly as the natural inquiries do. */
  public boolean natural() {
    return equals(NATURAL);
  }
}
