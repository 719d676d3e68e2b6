package dev.kamado.model.llama;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python reference tooling (hack/reference) for reference checks and benchmarks: the venv's python (system
 * property {@code kamado.reference.python}, default {@code ~/.cache/kamado/reference-venv/bin/python}) and the
 * scripts. A missing venv fails the caller loudly; it is never skipped.
 */
final class ReferencePython {

  final Path python;
  final Path scripts;

  private ReferencePython(Path python, Path scripts) {
    this.python = python;
    this.scripts = scripts;
  }

  static ReferencePython locate() {
    String configured = System.getProperty("kamado.reference.python");
    Path python = configured != null && !configured.isBlank() ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".cache", "kamado", "reference-venv", "bin", "python");
    if (!Files.isExecutable(python)) {
      fail("Reference Python venv not found at " + python + ": run hack/reference/setup-venv.sh (or set the system "
          + "property kamado.reference.python to its python). The reference check cannot be skipped.");
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("hack/reference/make_tiny_model.py"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      fail("cannot find hack/reference/make_tiny_model.py above " + Path.of("").toAbsolutePath());
    }
    return new ReferencePython(python, dir.resolve("hack/reference"));
  }

  /** Runs {@code script} with {@code args}; fails with its output when it exits non-zero. Returns its output. */
  String run(String script, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(python.toString());
    cmd.add(scripts.resolve(script).toString());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(900, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + String.join(" ", cmd));
    }
    String text = new String(output, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      fail("failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + text);
    }
    return text;
  }
}
