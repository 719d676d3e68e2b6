package dev.kamado.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The server jar run as a real process on a free port, with helpers to call it over HTTP. */
public final class ServerProcess implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();
  static final Path JAR = Path.of("target", "kamado-server.jar");
  private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+)");

  final Process process;
  final Path log;
  final int port;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  private ServerProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Runs the jar with {@code args} and returns it once it listens (not necessarily ready). */
  static ServerProcess start(Path workDir, String... args) throws Exception {
    return start(workDir, java.util.Map.of(), args);
  }

  /** Like {@link #start(Path, String...)} with extra environment variables. */
  static ServerProcess start(Path workDir, java.util.Map<String, String> env, String... args) throws Exception {
    Process process = launch(workDir, env, args);
    Path log = workDir.resolve("server-" + process.pid() + ".log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      Matcher m = LISTENING.matcher(text);
      if (m.find()) {
        return new ServerProcess(process, log, Integer.parseInt(m.group(1)));
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("server exited with " + process.exitValue() + ":\n" + text);
      }
      Thread.sleep(50);
    }
    process.destroyForcibly();
    throw new IllegalStateException("server did not listen within 120 s:\n" + Files.readString(log));
  }

  /** Starts the jar and returns the raw process; its output goes to server-PID.log in {@code workDir}. */
  static Process launch(Path workDir, String... args) throws IOException {
    return launch(workDir, java.util.Map.of(), args);
  }

  /** Like {@link #launch(Path, String...)} with extra environment variables. */
  static Process launch(Path workDir, java.util.Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("--add-modules");
    command.add("jdk.incubator.vector");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    Path tmp = workDir.resolve("launch-" + System.nanoTime() + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(tmp.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    Files.move(tmp, workDir.resolve("server-" + process.pid() + ".log"));
    return process;
  }

  /** Waits until /readyz answers 200. */
  ServerProcess awaitReady() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("server exited with " + process.exitValue() + ":\n" + logText());
      }
      if (get("/readyz").statusCode() == 200) {
        return this;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("server not ready within 180 s:\n" + logText());
  }

  String logText() throws IOException {
    return Files.readString(log);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(120))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A sample's value from /metrics ({@code sample} is the name with its labels as exposed), 0 when absent. */
  double metric(String sample) throws IOException, InterruptedException {
    for (String line : get("/metrics").body().split("\n")) {
      if (line.startsWith(sample) && line.length() > sample.length() && line.charAt(sample.length()) == ' ') {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  static JsonNode json(String text) throws IOException {
    return JSON.readTree(text);
  }

  /** Sends SIGTERM and waits for the exit code. */
  int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor();
      return -1;
    }
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
