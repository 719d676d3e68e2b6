package dev.kamado.trainer.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kamado.model.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of checkpoints {@code step-NNNNNNNN/} plus a {@code latest} file naming the newest complete one.
 *
 * <p>A checkpoint is written into a hidden temporary folder, every file forced to disk, the folder forced, then
 * renamed to its final name in one atomic step and the parent folder forced; only then is {@code latest} replaced
 * (atomically, see {@link AtomicFiles}). A process killed at any moment therefore leaves either the previous or the
 * new checkpoint as {@code latest}, never a partial one. Older checkpoints beyond {@code keep} are deleted after
 * {@code latest} moved on; leftover temporary folders of a killed run are deleted when the store opens.
 */
public final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  /** Name of the pointer file. */
  public static final String LATEST = "latest";
  /** Name of the scalar state file inside a checkpoint. */
  public static final String STATE_FILE = "state.json";
  private static final Pattern NAME = Pattern.compile("step-(\\d+)");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Writes the files of one checkpoint into the given (temporary) folder. */
  @FunctionalInterface
  public interface Writer {
    /** Writes every file of the checkpoint into {@code dir}. */
    void write(Path dir) throws IOException;
  }

  /** A complete checkpoint on disk. */
  public record Checkpoint(Path dir, CheckpointState state) {}

  private final Path root;
  private final int keep;

  /**
   * Opens (creating if needed) the checkpoint folder {@code root}, keeping the newest {@code keep} checkpoints.
   *
   * @throws IOException when the folder cannot be created or cleaned
   */
  public CheckpointStore(Path root, int keep) throws IOException {
    if (keep < 1) {
      throw new IllegalArgumentException("checkpoint keep must be at least 1, got " + keep);
    }
    this.root = root;
    this.keep = keep;
    Files.createDirectories(root);
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(root, ".tmp-*")) {
      for (Path p : leftovers) {
        LOG.info("Removing unfinished checkpoint {} left by an interrupted run", p.getFileName());
        deleteTree(p);
      }
    }
  }

  /** The checkpoint folder. */
  public Path root() {
    return root;
  }

  /** The folder name of the checkpoint after {@code step} optimizer steps. */
  public static String name(long step) {
    return String.format(Locale.ROOT, "step-%08d", step);
  }

  /**
   * Writes a checkpoint: {@code files} writes the weights and optimizer state, this class adds {@code state.json},
   * makes it durable, publishes it as {@code latest} and prunes old ones.
   *
   * @return the final folder
   */
  public Path write(CheckpointState state, Writer files) throws IOException {
    String name = name(state.step());
    Path tmp = root.resolve(".tmp-" + name + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    Files.createDirectories(tmp);
    try {
      files.write(tmp);
      AtomicFiles.write(tmp.resolve(STATE_FILE), JSON.writeValueAsBytes(state));
      forceAll(tmp);
      Path target = root.resolve(name);
      if (Files.exists(target)) {
        deleteTree(target);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      force(root);
      AtomicFiles.write(root.resolve(LATEST), (name + "\n").getBytes(StandardCharsets.UTF_8));
      prune();
      return target;
    } catch (IOException | RuntimeException e) {
      try {
        deleteTree(tmp);
      } catch (IOException | UncheckedIOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * The checkpoint {@code latest} names; when the pointer is missing or names a folder that is gone, the newest
   * complete {@code step-*} folder (one with a readable {@code state.json}).
   */
  public Optional<Checkpoint> latest() throws IOException {
    Path pointer = root.resolve(LATEST);
    if (Files.isRegularFile(pointer)) {
      String name = Files.readString(pointer, StandardCharsets.UTF_8).trim();
      Optional<Checkpoint> named = read(root.resolve(name));
      if (named.isPresent()) {
        return named;
      }
      LOG.warn("{} names {}, which is not a complete checkpoint; looking for the newest one", pointer, name);
    }
    List<Path> all = complete();
    for (int i = all.size() - 1; i >= 0; i--) {
      Optional<Checkpoint> c = read(all.get(i));
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  /** The {@code step-*} folders, oldest first. */
  public List<Path> complete() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> list = Files.list(root)) {
      list.filter(Files::isDirectory).filter(p -> NAME.matcher(p.getFileName().toString()).matches()).forEach(out::add);
    }
    out.sort(Comparator.comparingLong(CheckpointStore::stepOf));
    return out;
  }

  private static long stepOf(Path dir) {
    Matcher m = NAME.matcher(dir.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private static Optional<Checkpoint> read(Path dir) {
    Path state = dir.resolve(STATE_FILE);
    if (!Files.isRegularFile(state)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Checkpoint(dir, JSON.readValue(state.toFile(), CheckpointState.class)));
    } catch (IOException e) {
      LOG.warn("Ignoring checkpoint {}: unreadable {}: {}", dir.getFileName(), STATE_FILE, e.getMessage());
      return Optional.empty();
    }
  }

  private void prune() throws IOException {
    List<Path> all = complete();
    for (int i = 0; i < all.size() - keep; i++) {
      deleteTree(all.get(i));
    }
  }

  private static void forceAll(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f)) {
          try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
            c.force(true);
          }
        }
      }
    }
    force(dir);
  }

  private static void force(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // folders cannot be opened for syncing on every platform; file data is already durable
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
