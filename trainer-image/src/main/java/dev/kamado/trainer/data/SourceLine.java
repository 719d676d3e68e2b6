package dev.kamado.trainer.data;

import java.nio.file.Path;

/**
 * Where an example came from: a file and its 1-based line (for plain text files, the line where the document or
 * piece starts).
 */
public record SourceLine(Path file, long line) {
  @Override
  public String toString() {
    return file.getFileName() + ":" + line;
  }
}
