package dev.kamado.demo.driver;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line text progress bar on a terminal stream (stderr): label, bar, count, percentage, elapsed time. */
public final class ProgressBar implements AutoCloseable {
  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 200_000_000L;

  private final String label;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private long total;
  private long done;
  private String note = "";
  private long lastDraw;

  public ProgressBar(String label, long total, PrintStream out) {
    this.label = label;
    this.total = Math.max(1, total);
    this.out = out;
    draw(true);
  }

  /** Moves the bar forward by {@code n}. */
  public synchronized void advance(long n) {
    done = Math.min(total, done + n);
    draw(false);
  }

  /** Sets progress to {@code value} of {@code newTotal}, with a short note (for example the current loss). */
  public synchronized void update(long value, long newTotal, String newNote) {
    total = Math.max(1, newTotal);
    done = Math.min(total, Math.max(0, value));
    note = newNote == null ? "" : newNote;
    draw(false);
  }

  /** Seconds since the bar was created. */
  public double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private void draw(boolean force) {
    long now = System.nanoTime();
    if (!force && now - lastDraw < REDRAW_NANOS && done < total) {
      return;
    }
    lastDraw = now;
    int filled = (int) (WIDTH * done / total);
    String line = String.format(Locale.ROOT, "\r%-28s [%s%s] %d/%d %3d%% %6.1fs %s", label, "#".repeat(filled),
        ".".repeat(WIDTH - filled), done, total, 100 * done / total, elapsedSeconds(), note);
    out.print(line);
    out.flush();
  }

  @Override
  public synchronized void close() {
    draw(true);
    out.println();
  }
}
