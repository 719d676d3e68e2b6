package dev.kamado.model.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file or index whose content is invalid; the message names the file and, where known, the tensor. */
public class SafetensorsException extends IOException {

  private static final long serialVersionUID = 1L;

  /** An error about {@code file}; the message reads {@code "<file>: <problem>"}. */
  public SafetensorsException(Path file, String problem) {
    super(file + ": " + problem);
  }

  /** An error about {@code file} caused by {@code cause}. */
  public SafetensorsException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
