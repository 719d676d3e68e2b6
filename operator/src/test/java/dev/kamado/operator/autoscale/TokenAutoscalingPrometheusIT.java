package dev.kamado.operator.autoscale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autoscaler's Prometheus path against a real Prometheus server (Debian's {@code prometheus}, started here on
 * loopback) scraping replicas over real HTTP, with the load stepped up and then down. It measures how long the
 * autoscaler takes to recommend a scale-up after the step, and checks that it scales down only after the
 * stabilisation window.
 *
 * <p>The replicas here are meters: HTTP endpoints whose {@code kamado_generated_tokens_total} grows at the share of
 * the offered load that a load balancer would give them. They stand in for inference server processes until the
 * server jar exists; swapping them for {@code java -jar kamado-server.jar} processes driven by the load generator is
 * the remaining step (the Prometheus configuration, labels and queries stay as they are).
 *
 * <p>Skipped when no {@code prometheus} binary is on the PATH.
 */
class TokenAutoscalingPrometheusIT {
  private static final String NAMESPACE = "apps";
  private static final String SERVER = "triage";
  private static final Duration EVALUATION = Duration.ofSeconds(5);
  /** Target 200 tokens/s per replica; scale-down window 30 s (300 s by default, shortened to keep the test short). */
  private static final ScalingSettings SETTINGS =
      new ScalingSettings(1, 8, 200, 2, Duration.ZERO, Duration.ofSeconds(30));

  private final List<Meter> replicas = new ArrayList<>();
  private Process prometheus;
  private volatile double offeredTokensPerSecond;

  @AfterEach
  void stop() {
    replicas.forEach(Meter::close);
    if (prometheus != null) {
      prometheus.destroy();
    }
  }

  @Test
  void scalesUpSoonAfterALoadStepAndDownOnlyAfterTheWindow(@TempDir Path dir) throws Exception {
    Path binary = onPath("prometheus");
    assumeTrue(binary != null, "no prometheus binary on the PATH (Debian package prometheus)");
    int port = freePort();
    Path targets = dir.resolve("targets.json");
    setReplicas(1, targets);
    Files.writeString(dir.resolve("prometheus.yml"), """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: kamado-servers
            file_sd_configs:
              - files: ['%s']
                refresh_interval: 1s
        """.formatted(targets));
    prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
        "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    awaitReady("http://127.0.0.1:" + port + "/-/ready");

    // The rate window suits the 1 s scrape interval here, as 1m suits Prometheus's usual 15 s.
    PrometheusMetricsSource source = new PrometheusMetricsSource("http://127.0.0.1:" + port, "10s",
        Duration.ofSeconds(3));
    Loop loop = new Loop(source, targets);

    offeredTokensPerSecond = 100;
    loop.run(Duration.ofSeconds(20));
    assertThat(loop.replicas).isEqualTo(1);
    assertThat(loop.lastFigures).isNotNull();
    assertThat(loop.lastFigures.tokensPerSecond()).isBetween(60.0, 140.0);

    Instant step = Instant.now();
    offeredTokensPerSecond = 900;
    loop.run(Duration.ofSeconds(45));
    Instant firstUp = loop.firstAfter(step, ScalingDecision.Kind.SCALE_UP);
    assertThat(firstUp).as("a scale-up after the load step").isNotNull();
    double upSeconds = Duration.between(step, firstUp).toMillis() / 1000.0;
    assertThat(loop.replicas).isEqualTo(5);

    Instant drop = Instant.now();
    offeredTokensPerSecond = 150;
    loop.run(Duration.ofSeconds(80));
    Instant firstDown = loop.firstAfter(drop, ScalingDecision.Kind.SCALE_DOWN);
    assertThat(firstDown).as("a scale-down after the load drop").isNotNull();
    double downSeconds = Duration.between(drop, firstDown).toMillis() / 1000.0;
    // The first scale-down goes below 5 only once no recommendation of 5 or more is left in the 30 s window.
    Instant lastFive = loop.lastRecommendationAtLeast(5, firstDown);
    double sinceLastFive = Duration.between(lastFive, firstDown).toMillis() / 1000.0;
    System.out.printf(Locale.ROOT, "token autoscaling with Prometheus: scale-up %.1f s after the load step "
            + "(100 -> 900 tokens/s, target 200/replica); first scale-down %.1f s after the drop (900 -> 150 "
            + "tokens/s), %.1f s after the last recommendation of 5 (window 30 s); decisions:%n%s%n", upSeconds,
        downSeconds, sinceLastFive, String.join("\n", loop.log));
    assertThat(upSeconds).as("seconds from the load step to a scale-up").isLessThanOrEqualTo(30.0);
    assertThat(sinceLastFive).as("seconds since the last recommendation of 5").isGreaterThanOrEqualTo(30.0);
    assertThat(loop.replicas).isEqualTo(1);
  }

  /** The operator's evaluation loop (policy and Prometheus source), with replicas that appear as it decides. */
  private final class Loop {
    final PrometheusMetricsSource source;
    final Path targets;
    int replicas = 1;
    List<Recommendation> window = new ArrayList<>();
    MetricsReading.Figures lastFigures;
    final List<Instant> times = new ArrayList<>();
    final List<ScalingDecision> decisions = new ArrayList<>();
    final List<String> log = new ArrayList<>();

    Loop(PrometheusMetricsSource source, Path targets) {
      this.source = source;
      this.targets = targets;
    }

    void run(Duration duration) throws Exception {
      Instant end = Instant.now().plus(duration);
      while (Instant.now().isBefore(end)) {
        Thread.sleep(EVALUATION.toMillis());
        Instant now = Clock.systemUTC().instant();
        List<ServerPod> ready = TokenAutoscalingPrometheusIT.this.replicas.stream()
            .map(m -> new ServerPod(m.pod, m.pod, "127.0.0.1")).toList();
        MetricsReading reading = source.read(NAMESPACE, SERVER, 0, ready);
        if (reading instanceof MetricsReading.Figures f) {
          lastFigures = f;
        }
        ScalingDecision d = ScalingPolicy.decide(SETTINGS, replicas, reading, window, now);
        window = d.recommendations();
        times.add(now);
        decisions.add(d);
        log.add("  " + now + " " + d.message());
        if (d.desiredReplicas() != replicas) {
          replicas = d.desiredReplicas();
          setReplicas(replicas, targets);
        }
      }
    }

    Instant firstAfter(Instant start, ScalingDecision.Kind kind) {
      for (int i = 0; i < decisions.size(); i++) {
        if (!times.get(i).isBefore(start) && decisions.get(i).kind() == kind) {
          return times.get(i);
        }
      }
      return null;
    }

    Instant lastRecommendationAtLeast(int replicas, Instant before) {
      Instant last = null;
      for (int i = 0; i < decisions.size() && times.get(i).isBefore(before); i++) {
        Integer r = decisions.get(i).recommendedReplicas();
        if (r != null && r >= replicas) {
          last = times.get(i);
        }
      }
      return last;
    }
  }

  /** Starts or stops meters to {@code count} and tells Prometheus (file service discovery). */
  private void setReplicas(int count, Path targets) throws IOException {
    while (replicas.size() < count) {
      replicas.add(new Meter(SERVER + "-" + replicas.size()));
    }
    while (replicas.size() > count) {
      replicas.remove(replicas.size() - 1).close();
    }
    StringBuilder json = new StringBuilder("[");
    for (Meter m : replicas) {
      json.append(json.length() > 1 ? "," : "").append("{\"targets\":[\"127.0.0.1:").append(m.port())
          .append("\"],\"labels\":{\"namespace\":\"").append(NAMESPACE).append("\",\"service\":\"").append(SERVER)
          .append("\",\"pod\":\"").append(m.pod).append("\"}}");
    }
    Path tmp = targets.resolveSibling("targets.json.tmp");
    Files.writeString(tmp, json.append("]").toString());
    Files.move(tmp, targets, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * One replica's token meter: its counter grows at its share of the offered load (split evenly over the replicas),
   * integrated over real time at each scrape.
   */
  private final class Meter implements AutoCloseable {
    final String pod;
    final HttpServer http;
    double tokens;
    long lastNanos = System.nanoTime();

    Meter(String pod) throws IOException {
      this.pod = pod;
      this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext("/metrics", exchange -> {
        byte[] body;
        synchronized (this) {
          long now = System.nanoTime();
          tokens += offeredTokensPerSecond / replicas.size() * (now - lastNanos) / 1e9;
          lastNanos = now;
          body = ("# TYPE kamado_generated_tokens_total counter\nkamado_generated_tokens_total " + tokens
              + "\n# TYPE kamado_requests_waiting gauge\nkamado_requests_waiting 0\n")
              .getBytes(StandardCharsets.UTF_8);
        }
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      http.start();
    }

    int port() {
      return http.getAddress().getPort();
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }

  private static void awaitReady(String url) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        if (client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError("Prometheus not ready at " + url);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
