package dev.kamado.server.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The lines a bench prints, kept to be written to {@code target/bench/} at the end (formatted in Locale.ROOT). */
final class BenchReport {

  private final StringBuilder lines = new StringBuilder();

  /** Prints a formatted line and keeps it. */
  void print(String format, Object... args) {
    String line = String.format(Locale.ROOT, format, args);
    System.out.println(line);
    lines.append(line).append('\n');
  }

  /** Writes the lines kept so far to {@code target/bench/<fileName>}. */
  void write(String fileName) throws IOException {
    Path out = Path.of("target", "bench");
    Files.createDirectories(out);
    Files.writeString(out.resolve(fileName), lines.toString());
  }
}
