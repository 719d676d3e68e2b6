package dev.kamado.demo.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training progress read from the trainer's output: JSON lines in the shape of the trainer contract's
 * {@code ProgressReport} ({@code step}, {@code totalSteps}, {@code loss}, {@code evalLoss}), or plain log lines such
 * as {@code step 12/300 loss 3.21}. Also reads {@code *.jsonl} progress/metrics files the trainer leaves in its output
 * folder. Thread-safe: the process's output thread adds, the driver reads.
 */
public final class LossLog {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern STEP = Pattern.compile("(?i)\\bstep\\b\\D{0,3}(\\d+)(?:\\s*/\\s*(\\d+))?");
  private static final Pattern LOSS = Pattern.compile(
      "(?i)(?<!eval[ _]?)\\bloss\\b\\W{0,3}([0-9]*\\.?[0-9]+(?:[eE][-+]?\\d+)?)");
  private static final Pattern EVAL_LOSS = Pattern.compile(
      "(?i)\\beval[ _]?loss\\b\\W{0,3}([0-9]*\\.?[0-9]+(?:[eE][-+]?\\d+)?)");

  /** One reported step. {@code evalLoss} is NaN when the line had none. */
  public record Point(String stage, long step, long totalSteps, double loss, double evalLoss) {}

  private final List<Point> points = new ArrayList<>();

  /** Parses one output line of {@code stage}; returns the point it held, or null. */
  public Point accept(String stage, String line) {
    Point p = parse(stage, line.strip());
    if (p != null) {
      synchronized (points) {
        points.add(p);
      }
    }
    return p;
  }

  static Point parse(String stage, String line) {
    if (line.startsWith("{")) {
      try {
        JsonNode n = JSON.readTree(line);
        JsonNode progress = n.has("progress") ? n.get("progress") : n;
        if (progress.has("step") && (progress.has("loss") || progress.has("evalLoss"))) {
          return new Point(stage, progress.get("step").asLong(), progress.path("totalSteps").asLong(0),
              progress.path("loss").asDouble(Double.NaN), progress.path("evalLoss").asDouble(Double.NaN));
        }
      } catch (IOException e) {
        return null;
      }
      return null;
    }
    Matcher step = STEP.matcher(line);
    Matcher loss = LOSS.matcher(line);
    Matcher eval = EVAL_LOSS.matcher(line);
    boolean hasLoss = loss.find();
    boolean hasEval = eval.find();
    if (step.find() && (hasLoss || hasEval)) {
      long total = step.group(2) == null ? 0 : Long.parseLong(step.group(2));
      return new Point(stage, Long.parseLong(step.group(1)), total,
          hasLoss ? Double.parseDouble(loss.group(1)) : Double.NaN,
          hasEval ? Double.parseDouble(eval.group(1)) : Double.NaN);
    }
    return null;
  }

  /** Reads progress lines from {@code *.jsonl} files directly in {@code dir}, if the trainer wrote any there. */
  public void readFiles(String stage, Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    List<Point> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          Point p = parse(stage, line.strip());
          if (p != null) {
            found.add(p);
          }
        }
      }
    }
    synchronized (points) {
      long fromOutput = points.stream().filter(p -> p.stage().equals(stage)).count();
      if (found.size() > fromOutput) {
        points.removeIf(p -> p.stage().equals(stage));
        points.addAll(found);
      }
    }
  }

  /** Every point so far. */
  public List<Point> points() {
    synchronized (points) {
      return List.copyOf(points);
    }
  }
}
