package dev.kamado.trainer;

import ai.djl.engine.Engine;
import dev.kamado.model.Engines;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code engine}: loads the PyTorch engine and prints its version, flavour and library folder. Image builds run it
 * once so that DJL's native glue is extracted into the image and nothing is written or downloaded at run time.
 */
@Command(name = "engine", mixinStandardHelpOptions = true,
    description = "Loads the PyTorch engine once and prints where libtorch is (image builds pre-extract it so).")
final class EngineCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    Engine engine = Engines.pytorch();
    System.out.printf("PyTorch %s (DJL %s), loaded in %d ms, libtorch in %s, GPUs %d%n", engine.getVersion(),
        Engine.getDjlVersion(), Engines.loadTime().toMillis(), Engines.nativeLibraryDir(), engine.getGpuCount());
    return 0;
  }
}
