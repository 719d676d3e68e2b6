package dev.kamado.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a crash or an error never leaves a partial file under the final name: the content goes to a
 * temporary file in the same folder, is forced to disk, and is renamed over the target in one atomic step; then the
 * folder is forced so that the rename itself survives a power loss.
 */
public final class AtomicFiles {

  /** Writes the content of a file to an open channel. */
  @FunctionalInterface
  public interface Body {
    /** Writes everything to {@code out}. */
    void writeTo(FileChannel out) throws IOException;
  }

  private AtomicFiles() {
  }

  /** Atomically replaces {@code target} with {@code bytes}. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, out -> writeFully(out, ByteBuffer.wrap(bytes)));
  }

  /**
   * Atomically replaces {@code target} with what {@code body} writes. When {@code body} throws, the temporary file is
   * deleted, the exception propagates, and {@code target} is left as it was.
   */
  public static void write(Path target, Body body) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp = dir.resolve("." + absolute.getFileName() + ".tmp-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        body.writeTo(out);
        out.force(true);
      }
      Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException | Error e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    syncDirectory(dir);
  }

  /** Writes all remaining bytes of {@code src}. */
  public static void writeFully(FileChannel out, ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      out.write(src);
    }
  }

  /** Forces a folder's entries to disk; not every platform can open a folder for that, so failure is ignored. */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // not supported here (for example on Windows); the file's data is already on disk
    }
  }
}
