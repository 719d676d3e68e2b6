package dev.kamado.trainer.progress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kamado.api.training.TrainingResult;
import dev.kamado.model.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the final {@link TrainingResult}: to the container's termination-message file (at most 4096 bytes, as
 * Kubernetes reads it; an over-long error is shortened) and, on success, the manifest to the output folder.
 */
public final class ResultWriter {
  private static final Logger LOG = LoggerFactory.getLogger(ResultWriter.class);
  /** The most Kubernetes reads from a termination message. */
  public static final int TERMINATION_LIMIT = 4096;
  /** File name of the manifest in the output folder. */
  public static final String MANIFEST = "kamado-manifest.json";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private final Path terminationLog;

  /** A writer for the termination-message file {@code terminationLog} (null: none). */
  public ResultWriter(Path terminationLog) {
    this.terminationLog = terminationLog;
  }

  /** Writes the result to the termination-message file when there is one; never throws. */
  public void terminationMessage(TrainingResult result) {
    if (terminationLog == null) {
      return;
    }
    try {
      byte[] bytes = new ObjectMapper().writeValueAsBytes(result);
      if (bytes.length > TERMINATION_LIMIT && result.error() != null) {
        String e = result.error();
        int keep = Math.max(0, e.length() - (bytes.length - TERMINATION_LIMIT) - 8);
        bytes = new ObjectMapper().writeValueAsBytes(new TrainingResult(result.model(), e.substring(0, keep) + "..."));
      }
      if (bytes.length > TERMINATION_LIMIT && result.model() != null) {
        result.model().setEvalMetrics(null);
        bytes = new ObjectMapper().writeValueAsBytes(result);
      }
      Files.write(terminationLog, bytes);
    } catch (IOException e) {
      LOG.warn("Cannot write the termination message to {}: {}", terminationLog, e.getMessage());
    }
  }

  /** Writes the manifest (any JSON-serialisable object holding the result) atomically into {@code outputDir}. */
  public static Path manifest(Path outputDir, Object manifest) throws IOException {
    Path target = outputDir.resolve(MANIFEST);
    AtomicFiles.write(target, JSON.writeValueAsString(manifest).getBytes(StandardCharsets.UTF_8));
    return target;
  }
}
