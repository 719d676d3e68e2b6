package dev.kamado.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository's root from a module's working directory, so tests can reach crds/, charts/, hack/. */
public final class RepoLayout {
  private RepoLayout() {}

  public static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("hack/control-plane/cluster.sh")) && Files.isDirectory(p.resolve("crds"))) {
        return p;
      }
    }
    throw new IllegalStateException("no Kamado repository root (with hack/control-plane/cluster.sh) above " + dir);
  }

  public static Path crds() {
    return root().resolve("crds");
  }

  public static Path chart() {
    return root().resolve("charts/kamado");
  }

  public static Path examples() {
    return root().resolve("examples");
  }
}
