package dev.kamado.operator.autoscale;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One inference server replica: {@code java -jar kamado-server.jar --model DIR --port P} as a real process on
 * loopback, with one libtorch/OpenMP thread. Its output goes to {@code <pod>.log} in the work folder.
 */
final class ServerReplica implements AutoCloseable {
  /** The server jar as the reactor builds it, relative to the operator module (the test's working directory). */
  static final Path JAR = Path.of("..", "server-image", "target", "kamado-server.jar");

  final String pod;
  final int port;
  final Path log;
  private final Process process;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private volatile boolean ready;

  private ServerReplica(String pod, int port, Path log, Process process) {
    this.pod = pod;
    this.port = port;
    this.log = log;
    this.process = process;
  }

  /** Starts a replica (not yet ready) serving {@code model}; {@code maxRunning} is its continuous batch size. */
  static ServerReplica start(String pod, Path model, int maxRunning, Path workDir) throws IOException {
    int port = freePort();
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "--add-modules",
        "jdk.incubator.vector", "-jar",
        JAR.toAbsolutePath().normalize().toString(), "--model", model.toString(), "--host", "127.0.0.1",
        "--port", Integer.toString(port), "--max-running", Integer.toString(maxRunning),
        "--served-model-name", "tiny", "--grace-period", "2s"));
    Path log = workDir.resolve(pod + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("OMP_NUM_THREADS", "1");
    builder.environment().put("MKL_NUM_THREADS", "1");
    return new ServerReplica(pod, port, log, builder.start());
  }

  /** Waits until /readyz answers 200 (the model is loaded and warm). */
  ServerReplica awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(pod + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        if (http.send(HttpRequest.newBuilder(uri("/readyz")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          ready = true;
          return this;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(pod + " not ready within " + timeout + ":\n" + Files.readString(log));
  }

  boolean ready() {
    return ready && process.isAlive();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** The server's own {@code kamado_generated_tokens_total}, read from its /metrics. */
  double generatedTokens() throws IOException, InterruptedException {
    String body = http.send(HttpRequest.newBuilder(uri("/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String line : body.split("\n")) {
      if (line.startsWith("kamado_generated_tokens_total ") || line.startsWith("kamado_generated_tokens_total{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new IllegalStateException(pod + " exposes no kamado_generated_tokens_total:\n" + body);
  }

  /** SIGTERM, then SIGKILL after 20 s. */
  @Override
  public void close() {
    ready = false;
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
