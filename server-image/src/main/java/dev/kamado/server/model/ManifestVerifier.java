package dev.kamado.server.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks a model folder against its {@code kamado-manifest.json} (the trainer's TrainingResult JSON): the model
 * digest {@code model.digest}, and each per-file digest in {@code files} (a map from a path relative to the folder
 * to {@code sha256:<hex>}) when present. A folder without a manifest is accepted as it is.
 */
public final class ManifestVerifier {

  /** Manifest file name. */
  public static final String MANIFEST = "kamado-manifest.json";

  private ManifestVerifier() {
  }

  /**
   * Verifies {@code dir}.
   *
   * @return a one-line summary of what was checked
   * @throws InvalidModelException naming the file whose digest does not match, or the unreadable manifest
   */
  public static String verify(Path dir) throws InvalidModelException {
    Path manifestFile = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(manifestFile)) {
      return dir + ": no " + MANIFEST + ", digests not checked";
    }
    JsonNode manifest;
    try {
      manifest = new ObjectMapper().readTree(Files.readString(manifestFile));
    } catch (IOException e) {
      throw new InvalidModelException("cannot read " + manifestFile + ": " + e.getMessage(), e);
    }
    if (manifest == null || !manifest.isObject()) {
      throw new InvalidModelException(manifestFile + " is not a JSON object");
    }
    int checked = 0;
    JsonNode files = manifest.path("files");
    if (files.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> entries = files.fields();
      while (entries.hasNext()) {
        Map.Entry<String, JsonNode> entry = entries.next();
        Path file = dir.resolve(entry.getKey()).normalize();
        if (!file.startsWith(dir.normalize())) {
          throw new InvalidModelException(manifestFile + ": files." + entry.getKey() + " points outside " + dir);
        }
        if (!Files.isRegularFile(file)) {
          throw new InvalidModelException(manifestFile + " lists " + entry.getKey() + " but " + file
              + " does not exist");
        }
        String expected = entry.getValue().asText();
        String actual = "sha256:" + HexFormat.of().formatHex(fileSha256(file));
        if (!actual.equalsIgnoreCase(expected)) {
          throw new InvalidModelException("corrupt model: " + file + " has digest " + actual + " but " + MANIFEST
              + " says " + expected);
        }
        checked++;
      }
    }
    JsonNode digest = manifest.path("model").path("digest");
    if (digest.isTextual()) {
      String actual = ModelDigest.of(dir);
      if (!actual.equalsIgnoreCase(digest.asText())) {
        throw new InvalidModelException("corrupt model: the files of " + dir + " have digest " + actual + " but "
            + MANIFEST + " says model.digest " + digest.asText() + " (files covered: "
            + String.join(", ", ModelDigest.coveredFiles(dir)) + ")");
      }
      checked++;
    }
    return dir + ": " + checked + " digest(s) from " + MANIFEST + " match";
  }

  static byte[] fileSha256(Path file) throws InvalidModelException {
    MessageDigest sha = sha256();
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new InvalidModelException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return sha.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The model digest exactly as the trainer computes it ({@code dev.kamado.trainer.Digests#model}): sha256 over the
   * folder's top-level files that define the model, in name order, each contributing its name, a NUL byte, the hex
   * sha256 of its bytes and a newline.
   */
  public static final class ModelDigest {

    private ModelDigest() {
    }

    /**
     * Files covered: top-level {@code *.safetensors}, {@code *.json} (except {@code kamado-manifest.json}),
     * {@code *.model} and {@code *.txt}, not hidden, sorted by name. Sub-folders are not covered.
     */
    public static List<String> coveredFiles(Path dir) throws InvalidModelException {
      try (Stream<Path> files = Files.list(dir)) {
        return files.filter(Files::isRegularFile)
            .map(p -> p.getFileName().toString())
            .filter(ModelDigest::definesModel)
            .sorted()
            .collect(Collectors.toList());
      } catch (IOException e) {
        throw new InvalidModelException("cannot list " + dir + ": " + e.getMessage(), e);
      }
    }

    /** {@code sha256:<hex>} of the folder. */
    public static String of(Path dir) throws InvalidModelException {
      MessageDigest sha = sha256();
      for (String name : coveredFiles(dir)) {
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(HexFormat.of().formatHex(fileSha256(dir.resolve(name))).getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) '\n');
      }
      return "sha256:" + HexFormat.of().formatHex(sha.digest());
    }

    private static boolean definesModel(String name) {
      String n = name.toLowerCase(Locale.ROOT);
      if (n.startsWith(".") || n.equals(MANIFEST)) {
        return false;
      }
      return n.endsWith(".safetensors") || n.endsWith(".json") || n.endsWith(".model") || n.endsWith(".txt");
    }
  }
}
