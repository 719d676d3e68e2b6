package dev.kamado.demo.driver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A {@code java -jar} child process whose output (stdout and stderr merged) goes to a log file line by line, with
 * each line also handed to a listener (progress parsing) and the last lines kept for error messages.
 */
public final class JavaProcess implements AutoCloseable {
  private static final int TAIL_LINES = 20;

  private final Process process;
  private final Thread pump;
  private final Deque<String> tail = new ArrayDeque<>();
  private final List<String> command;

  private JavaProcess(Process process, List<String> command, Path log, Consumer<String> listener) throws IOException {
    this.process = process;
    this.command = command;
    PrintWriter writer = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
    this.pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8)); writer) {
        String line;
        while ((line = r.readLine()) != null) {
          writer.println(line);
          synchronized (tail) {
            tail.addLast(line);
            if (tail.size() > TAIL_LINES) {
              tail.removeFirst();
            }
          }
          listener.accept(line);
        }
      } catch (IOException e) {
        // the process went away; its exit code tells the rest
      }
    }, "output of " + command.get(command.size() > 2 ? 2 : 0));
    pump.setDaemon(true);
    pump.start();
  }

  /** Starts {@code java [jvmArgs] -jar jar args...} with extra environment variables, output to {@code log}. */
  public static JavaProcess start(Path jar, List<String> jvmArgs, List<String> args, Map<String, String> env,
      Path log, Consumer<String> listener) throws IOException {
    if (!Files.isRegularFile(jar)) {
      Path target = jar.toAbsolutePath().getParent();
      Path module = target == null || target.getParent() == null ? null : target.getParent().getFileName();
      throw new IOException(jar + " does not exist; build it first"
          + (module == null ? "" : " (mvn -B -ntp package -DskipTests -pl " + module + " -am)"));
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    // libtorch's OpenMP/MKL kernels read these before the JVM loads them: one thread each, never resized with load,
    // so that the trainer and the server compute the same bits on every run.
    String threads = System.getenv().getOrDefault("KAMADO_TORCH_THREADS", "1");
    pb.environment().putIfAbsent("OMP_NUM_THREADS", threads);
    pb.environment().putIfAbsent("MKL_NUM_THREADS", threads);
    pb.environment().putIfAbsent("MKL_DYNAMIC", "FALSE");
    pb.environment().putAll(env);
    Files.createDirectories(log.toAbsolutePath().getParent());
    return new JavaProcess(pb.start(), command, log, listener);
  }

  /** Waits for the process to end; fails with its last output lines when it exits non-zero. */
  public void awaitSuccess(String what, Path log) throws IOException, InterruptedException {
    int code = process.waitFor();
    pump.join(5000);
    if (code != 0) {
      throw new IOException(what + " failed with exit code " + code + " (log: " + log + "):\n  " + String.join(" ",
          command) + "\n" + tail());
    }
  }

  /** True while the process runs. */
  public boolean alive() {
    return process.isAlive();
  }

  /** The last lines of output. */
  public String tail() {
    synchronized (tail) {
      return String.join("\n", tail);
    }
  }

  /** The command line. */
  public List<String> command() {
    return command;
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s). */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
