package dev.kamado.model.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens safetensors weights in any of the Hugging Face layouts. */
public final class Safetensors {

  /** Conventional file name of a single-file model. */
  public static final String MODEL_FILE = "model.safetensors";

  private Safetensors() {
  }

  /**
   * Opens weights from {@code path}: a model folder (its {@code model.safetensors.index.json} when present, else its
   * {@code model.safetensors}), an index file ({@code *.index.json}), or a single {@code .safetensors} file.
   *
   * @throws NoSuchFileException when a folder holds neither file
   * @throws SafetensorsException when a file is invalid
   */
  public static TensorSource open(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      Path index = path.resolve(ShardedSafetensors.INDEX_FILE);
      if (Files.isRegularFile(index)) {
        return ShardedSafetensors.open(index);
      }
      Path single = path.resolve(MODEL_FILE);
      if (Files.isRegularFile(single)) {
        return SafetensorsFile.open(single);
      }
      throw new NoSuchFileException(path.toString(), null,
          "folder holds neither " + ShardedSafetensors.INDEX_FILE + " nor " + MODEL_FILE);
    }
    if (path.getFileName().toString().endsWith(".index.json")) {
      return ShardedSafetensors.open(path);
    }
    return SafetensorsFile.open(path);
  }
}
