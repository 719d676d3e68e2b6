package dev.kamado.trainer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * sha256 digests of models and datasets, as {@code sha256:<hex>}.
 *
 * <p>A folder's digest covers its files in name order (path relative to the folder, a NUL byte, the file's own
 * sha256 in hex, a newline), so renaming or changing any covered file changes it. For a model only the files that
 * define it count: {@code *.safetensors}, {@code *.json} except {@code kamado-manifest.json}, {@code *.model} and
 * {@code *.txt} at the top level; checkpoints and sub-folders do not.
 */
public final class Digests {

  private Digests() {}

  /** The digest of a model folder (see the class comment for which files count). */
  public static String model(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(Files::isRegularFile).filter(Digests::definesModel).sorted().forEach(files::add);
    }
    return folder(dir, files);
  }

  /** The digest of a dataset: one file's content digest, or a folder's digest over the given files. */
  public static String dataset(Path path, List<Path> files) throws IOException {
    if (Files.isRegularFile(path)) {
      return "sha256:" + fileHex(path);
    }
    return folder(path, files);
  }

  private static boolean definesModel(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.startsWith(".") || n.equals("kamado-manifest.json")) {
      return false;
    }
    return n.endsWith(".safetensors") || n.endsWith(".json") || n.endsWith(".model") || n.endsWith(".txt");
  }

  private static String folder(Path dir, List<Path> files) throws IOException {
    MessageDigest sha = sha256();
    for (Path f : files) {
      sha.update(dir.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(fileHex(f).getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) '\n');
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  /** The hex sha256 of one file's bytes. */
  public static String fileHex(Path file) throws IOException {
    MessageDigest sha = sha256();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** The hex sha256 of a string's UTF-8 bytes. */
  public static String textHex(String text) {
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
