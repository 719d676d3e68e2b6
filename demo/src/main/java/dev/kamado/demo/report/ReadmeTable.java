package dev.kamado.demo.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Rewrites the block between {@code <!-- demo-table:start -->} and {@code <!-- demo-table:end -->} in a Markdown file. */
public final class ReadmeTable {
  public static final String START = "<!-- demo-table:start -->";
  public static final String END = "<!-- demo-table:end -->";

  private ReadmeTable() {}

  /** {@code markdown} with the marked block's content replaced by {@code table}. */
  public static String replace(String markdown, String table, String source) {
    int start = markdown.indexOf(START);
    int end = markdown.indexOf(END);
    if (start < 0 || end < 0 || end < start) {
      throw new IllegalArgumentException(source + ": no block between '" + START + "' and '" + END
          + "' (add both markers on their own lines where the table belongs)");
    }
    String content = "\n" + table.strip() + "\n";
    return markdown.substring(0, start + START.length()) + content + markdown.substring(end);
  }

  /** Rewrites the marked block of {@code file} in place. */
  public static void rewrite(Path file, String table) throws IOException {
    String md = Files.readString(file, StandardCharsets.UTF_8);
    Files.writeString(file, replace(md, table, file.toString()), StandardCharsets.UTF_8);
  }
}
