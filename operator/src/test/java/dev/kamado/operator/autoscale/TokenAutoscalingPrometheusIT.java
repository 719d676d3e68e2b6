package dev.kamado.operator.autoscale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autoscaler end to end with real parts: inference server processes ({@code java -jar kamado-server.jar}) serving
 * a tiny random model written here, a real Prometheus (Debian's {@code prometheus}, started on loopback) scraping
 * them with the {@code namespace}/{@code service}/{@code pod} labels a ServiceMonitor gives, a load generator over
 * real HTTP stepping the load up and then down, and the operator's policy reading Prometheus through
 * {@link PrometheusMetricsSource}. Replicas are started and stopped as the autoscaler decides, as the Deployment
 * would. The target tokens/s per replica is derived from one replica's saturated throughput measured in the same run.
 *
 * <p>Checks that a scale-up is recommended within 30 s of the load step and that the first scale-down comes only after
 * the 30 s stabilisation window, and prints the measured reaction times.
 *
 * <p>Skipped when no {@code prometheus} binary is on the PATH. Needs {@code server-image/target/kamado-server.jar}
 * (built first by the reactor: {@code mvn -pl server-image,operator -am verify}).
 */
class TokenAutoscalingPrometheusIT {
  private static final String NAMESPACE = "apps";
  private static final String SERVER = "triage";
  private static final Duration EVALUATION = Duration.ofSeconds(5);
  private static final Duration WINDOW = Duration.ofSeconds(30);
  private static final int MAX_REPLICAS = 2;
  /** Continuous batch size per replica; the saturating load queues beyond it, as real overload does. */
  private static final int MAX_RUNNING = 4;
  private static final int HIGH_CLIENTS = 16;

  private final List<ServerReplica> replicas = new CopyOnWriteArrayList<>();
  private final ExecutorService starter = Executors.newSingleThreadExecutor();
  private Process prometheus;
  private SteppedLoad load;
  private Path model;
  private Path dir;

  @AfterEach
  void stop() throws Exception {
    if (load != null) {
      load.close();
    }
    starter.shutdownNow();
    replicas.forEach(ServerReplica::close);
    if (prometheus != null) {
      prometheus.destroy();
      prometheus.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void scalesUpSoonAfterALoadStepAndDownOnlyAfterTheWindow(@TempDir Path tmp) throws Exception {
    Path binary = onPath("prometheus");
    assumeTrue(binary != null, "no prometheus binary on the PATH (Debian package prometheus); skipping the "
        + "end-to-end autoscaling test");
    assertThat(ServerReplica.JAR).as("the server jar; build it in the same reactor: mvn -pl server-image,operator "
        + "-am verify").exists();
    dir = tmp;
    model = TinyServedModel.write(Files.createDirectories(dir.resolve("model")));
    Path targets = dir.resolve("targets.json");

    // One replica, saturated, gives the throughput the target per replica is derived from.
    replicas.add(ServerReplica.start(SERVER + "-0", model, MAX_RUNNING, dir).awaitReady(Duration.ofMinutes(3)));
    writeTargets(targets);
    load = new SteppedLoad(this::readyReplicas);
    load.step(new SteppedLoad.Level(HIGH_CLIENTS, 0));
    Thread.sleep(3000);
    double before = replicas.get(0).generatedTokens();
    long t0 = System.nanoTime();
    Thread.sleep(10_000);
    double single = (replicas.get(0).generatedTokens() - before) / ((System.nanoTime() - t0) / 1e9);
    load.step(new SteppedLoad.Level(0, 0));
    assertThat(single).as("tokens/s of one saturated replica").isGreaterThan(10);
    int target = (int) Math.max(1, Math.round(single * 0.6));
    double low = single * 0.2;
    ScalingSettings settings = new ScalingSettings(1, MAX_REPLICAS, target, 2, Duration.ZERO, WINDOW);

    int port = ServerReplica.freePort();
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
    Loop loop = new Loop(new PrometheusMetricsSource("http://127.0.0.1:" + port, "10s", Duration.ofSeconds(3)),
        settings, targets);

    load.step(new SteppedLoad.Level(1, low));
    loop.run(Duration.ofSeconds(25));
    assertThat(loop.replicas).as("replicas under the low load").isEqualTo(1);
    assertThat(loop.lastFigures).as("figures read from Prometheus").isNotNull();
    double lowMeasured = loop.lastFigures.tokensPerSecond();

    Instant step = Instant.now();
    load.step(new SteppedLoad.Level(HIGH_CLIENTS, 0));
    loop.run(Duration.ofSeconds(40));
    Instant firstUp = loop.firstAfter(step, ScalingDecision.Kind.SCALE_UP);
    assertThat(firstUp).as("a scale-up after the load step; decisions:%n%s", String.join("\n", loop.log))
        .isNotNull();
    double upSeconds = Duration.between(step, firstUp).toMillis() / 1000.0;
    assertThat(loop.replicas).as("replicas under the high load").isEqualTo(MAX_REPLICAS);
    double highMeasured = loop.lastFigures.tokensPerSecond();

    Instant drop = Instant.now();
    load.step(new SteppedLoad.Level(1, low));
    loop.run(Duration.ofSeconds(70));
    Instant firstDown = loop.firstAfter(drop, ScalingDecision.Kind.SCALE_DOWN);
    System.out.printf(Locale.ROOT, "token autoscaling with real servers and Prometheus: one saturated replica "
            + "%.1f tokens/s -> target %d tokens/s/replica, window %d s; low load %.1f tokens/s, high load %.1f "
            + "tokens/s (as read from Prometheus); scale-up recommended %.1f s after the load step; first scale-down "
            + "%s after the drop; %d requests served, %d failed; decisions:%n%s%n", single, target,
        WINDOW.toSeconds(), lowMeasured, highMeasured, upSeconds,
        firstDown == null ? "none" : String.format(Locale.ROOT, "%.1f s", Duration.between(drop, firstDown)
            .toMillis() / 1000.0), load.completed(), load.failed(), String.join("\n", loop.log));
    assertThat(upSeconds).as("seconds from the load step to a scale-up").isLessThanOrEqualTo(30.0);
    assertThat(firstDown).as("a scale-down after the load drop").isNotNull();
    assertThat(loop.firstAfter(firstUp, ScalingDecision.Kind.SCALE_DOWN)).as("no scale-down before the drop")
        .isEqualTo(firstDown);
    // The window holds the recommendations of the last 30 s: the first scale-down comes at least 30 s after the last
    // reading that still asked for MAX_REPLICAS, and so no sooner than one evaluation interval short of 30 s after
    // the drop (the last high reading may precede the drop by up to one interval).
    Instant lastHigh = loop.lastRecommendationAtLeast(MAX_REPLICAS, firstDown);
    double sinceLastHigh = Duration.between(lastHigh, firstDown).toMillis() / 1000.0;
    double downSeconds = Duration.between(drop, firstDown).toMillis() / 1000.0;
    System.out.printf(Locale.ROOT, "first scale-down %.1f s after the drop, %.1f s after the last recommendation of "
        + "%d (window %d s)%n", downSeconds, sinceLastHigh, MAX_REPLICAS, WINDOW.toSeconds());
    assertThat(sinceLastHigh).as("seconds from the last recommendation of %d to the first scale-down", MAX_REPLICAS)
        .isGreaterThanOrEqualTo(WINDOW.toSeconds());
    assertThat(downSeconds).as("seconds from the load drop to the first scale-down")
        .isGreaterThanOrEqualTo(WINDOW.minus(EVALUATION).toSeconds());
    assertThat(loop.replicas).as("replicas after the window at low load").isEqualTo(1);
  }

  private List<ServerReplica> readyReplicas() {
    return replicas.stream().filter(ServerReplica::ready).toList();
  }

  /** The operator's evaluation loop (policy and Prometheus source), starting and stopping replicas as it decides. */
  private final class Loop {
    final PrometheusMetricsSource source;
    final ScalingSettings settings;
    final Path targets;
    int replicas = 1;
    List<Recommendation> window = new ArrayList<>();
    MetricsReading.Figures lastFigures;
    final List<Instant> times = new ArrayList<>();
    final List<ScalingDecision> decisions = new ArrayList<>();
    final List<String> log = new ArrayList<>();

    Loop(PrometheusMetricsSource source, ScalingSettings settings, Path targets) {
      this.source = source;
      this.settings = settings;
      this.targets = targets;
    }

    void run(Duration duration) throws Exception {
      Instant end = Instant.now().plus(duration);
      while (Instant.now().isBefore(end)) {
        Thread.sleep(EVALUATION.toMillis());
        Instant now = Clock.systemUTC().instant();
        List<ServerPod> ready = readyReplicas().stream()
            .map(r -> new ServerPod(r.pod, r.pod, "127.0.0.1")).toList();
        MetricsReading reading = source.read(NAMESPACE, SERVER, 0, ready);
        if (reading instanceof MetricsReading.Figures f) {
          lastFigures = f;
        }
        ScalingDecision d = ScalingPolicy.decide(settings, replicas, reading, window, now);
        window = d.recommendations();
        times.add(now);
        decisions.add(d);
        log.add("  " + now + " " + d.message());
        if (d.desiredReplicas() != replicas) {
          replicas = d.desiredReplicas();
          scaleTo(replicas, targets);
        }
      }
    }

    Instant lastRecommendationAtLeast(int count, Instant before) {
      Instant last = null;
      for (int i = 0; i < decisions.size() && times.get(i).isBefore(before); i++) {
        Integer r = decisions.get(i).recommendedReplicas();
        if (r != null && r >= count) {
          last = times.get(i);
        }
      }
      return last;
    }

    Instant firstAfter(Instant start, ScalingDecision.Kind kind) {
      for (int i = 0; i < decisions.size(); i++) {
        if (times.get(i).isAfter(start) && decisions.get(i).kind() == kind) {
          return times.get(i);
        }
      }
      return null;
    }
  }

  /**
   * Starts replicas (in the background: they count once ready, as pods do) or stops the newest ones, and tells
   * Prometheus (file service discovery).
   */
  private void scaleTo(int count, Path targets) throws IOException {
    while (replicas.size() < count) {
      ServerReplica r = ServerReplica.start(SERVER + "-" + replicas.size(), model, MAX_RUNNING, dir);
      replicas.add(r);
      starter.submit(() -> r.awaitReady(Duration.ofMinutes(3)));
    }
    while (replicas.size() > count) {
      replicas.remove(replicas.size() - 1).close();
    }
    writeTargets(targets);
  }

  private void writeTargets(Path targets) throws IOException {
    StringBuilder json = new StringBuilder("[");
    for (ServerReplica r : replicas) {
      json.append(json.length() > 1 ? "," : "").append("{\"targets\":[\"127.0.0.1:").append(r.port)
          .append("\"],\"labels\":{\"namespace\":\"").append(NAMESPACE).append("\",\"service\":\"").append(SERVER)
          .append("\",\"pod\":\"").append(r.pod).append("\"}}");
    }
    Path tmp = targets.resolveSibling("targets.json.tmp");
    Files.writeString(tmp, json.append("]").toString());
    Files.move(tmp, targets, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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

  private static Path onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
