package dev.kamado.demo.driver;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The inference server jar as a child process: {@code java -jar kamado-server.jar --model DIR --port N --schema FILE},
 * ready once {@code GET /readyz} answers 200.
 */
public final class ServerProcess implements AutoCloseable {
  private final JavaProcess process;
  private final URI base;

  private ServerProcess(JavaProcess process, URI base) {
    this.process = process;
    this.base = base;
  }

  /** Starts a server on a free port and waits until it is ready, or fails with its last output lines. */
  public static ServerProcess start(Path jar, Path model, Path schema, List<String> extraArgs, Path log,
      Duration readyTimeout) throws IOException, InterruptedException {
    int port = freePort();
    List<String> args = new java.util.ArrayList<>(List.of("--model", model.toString(), "--port",
        Integer.toString(port), "--schema", schema.toString()));
    args.addAll(extraArgs);
    // the Vector API decode kernel, as the server image runs it
    JavaProcess p = JavaProcess.start(jar, List.of("--add-modules", "jdk.incubator.vector"), args, Map.of(), log,
        line -> { });
    ServerProcess server = new ServerProcess(p, URI.create("http://127.0.0.1:" + port));
    ChatClient probe = new ChatClient(server.base, Duration.ofSeconds(5));
    long deadline = System.nanoTime() + readyTimeout.toNanos();
    while (!probe.ready()) {
      if (!p.alive()) {
        throw new IOException("the server exited before it was ready (log: " + log + "):\n  "
            + String.join(" ", p.command()) + "\n" + p.tail());
      }
      if (System.nanoTime() > deadline) {
        server.close();
        throw new IOException("the server was not ready within " + readyTimeout.toSeconds() + " s (log: " + log
            + "):\n" + p.tail());
      }
      Thread.sleep(250);
    }
    return server;
  }

  /** Where the server listens, for example {@code http://127.0.0.1:41234}. */
  public URI base() {
    return base;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.close();
  }
}
