package dev.kamado.operator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The operator jar run as a real process, exactly as the container image runs it. */
public final class OperatorProcess implements AutoCloseable {
  static final Path JAR = Path.of("target", "kamado-operator.jar").toAbsolutePath();
  /**
   * The JVM options the Helm chart gives the operator by default (charts/kamado/values.yaml jvmOptions), with the
   * heap its default 512Mi memory limit yields. Override with -Dkamado.operator.jvm="...".
   */
  static final String DEFAULT_JVM_OPTIONS =
      "-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final Path log;

  private OperatorProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static OperatorProcess start(Path kubeconfig, Path log, String... args) {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: the package phase builds it before integration tests");
    }
    int port = freePort();
    List<String> command = new ArrayList<>(List.of(
        javaBin()));
    command.addAll(List.of(System.getProperty("kamado.operator.jvm", DEFAULT_JVM_OPTIONS).split(" ")));
    command.addAll(List.of("-jar", JAR.toString(), "--http-port", String.valueOf(port)));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().remove("KAMADO_WATCH_NAMESPACES");
    try {
      return new OperatorProcess(builder.start(), port, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return port;
  }

  /** The operator's process id. */
  public long pid() {
    return process.pid();
  }

  Process process() {
    return process;
  }

  /** GET a path of the operator's HTTP endpoint; empty while nothing listens. */
  Optional<HttpResponse<String>> get(String path) {
    try {
      return Optional.of(HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The value of an unlabelled gauge or counter in /metrics, if present. */
  Optional<Double> metric(String name) {
    return get("/metrics").flatMap(r -> r.body().lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst());
  }

  /** Waits up to a minute for /readyz to answer 200. */
  public void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (get("/readyz").map(r -> r.statusCode() == 200).orElse(false)) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("operator exited with " + process.exitValue() + ":\n" + output());
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new IllegalStateException("operator not ready after 60 s:\n" + output());
  }

  /** The sum of every series of {@code name} whose labels contain {@code labelFragment}; 0 when absent. */
  public double metricSum(String name, String labelFragment) {
    return get("/metrics").map(r -> r.body().lines()
        .filter(l -> (l.startsWith(name + "{") || l.startsWith(name + " ")) && l.contains(labelFragment))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum()).orElse(0.0);
  }

  /** Resident set size now, from /proc. */
  public long rssBytes() {
    return procStatus("VmRSS:");
  }

  /** Peak resident set size, from /proc. */
  public long peakRssBytes() {
    return procStatus("VmHWM:");
  }

  private long procStatus(String field) {
    try {
      return Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status")).stream()
          .filter(l -> l.startsWith(field))
          .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024)
          .findFirst().orElse(-1);
    } catch (IOException e) {
      return -1;
    }
  }

  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ")";
    }
  }

  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
