package dev.kamado.trainer;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the built {@code kamado-trainer.jar} as a real process, exactly as the container image does. */
final class TrainerJar {
  static final Path JAR = locate();

  private TrainerJar() {}

  private static Path locate() {
    Path here = Path.of("target", "kamado-trainer.jar");
    Path fromRoot = Path.of("trainer-image", "target", "kamado-trainer.jar");
    return (Files.isRegularFile(here) ? here : fromRoot).toAbsolutePath();
  }

  /** Starts the jar with {@code args}; output goes to {@code log}. */
  static Process start(Path log, Map<String, String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().remove("KUBERNETES_SERVICE_HOST");
    // OpenMP threads must match libtorch's one intra-op thread for bitwise-reproducible runs (see the README).
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("MKL_NUM_THREADS", "1");
    pb.environment().put("MKL_DYNAMIC", "FALSE");
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Runs the jar to the end (at most 5 minutes) and returns its exit code. */
  static int run(Path log, Map<String, String> env, String... args) throws Exception {
    Process p = start(log, env, args);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("trainer did not finish in 5 minutes; log " + log + ":\n" + Files.readString(log));
    }
    return p.exitValue();
  }

  /** Runs the jar and fails with its log unless it exits 0. */
  static void runOk(Path log, String... args) throws Exception {
    int rc = run(log, Map.of(), args);
    if (rc != 0) {
      throw new AssertionError("trainer exited " + rc + "; log:\n" + Files.readString(log));
    }
  }
}
