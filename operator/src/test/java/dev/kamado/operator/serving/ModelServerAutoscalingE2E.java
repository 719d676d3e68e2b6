package dev.kamado.operator.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.kamado.api.v1alpha1.Autoscaling;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.ModelSource;
import dev.kamado.operator.KamadoOperator;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithKwokCluster;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
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
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's token autoscaler in a KWOK cluster, reading a real Prometheus (Debian's {@code prometheus},
 * started on loopback). Fake pods have no process behind them, so each ready pod gets a token meter on loopback that
 * Prometheus scrapes under the pod's name (file service discovery kept in step with the pods): its counter grows at
 * the pod's share of the offered load. The operator scales the Deployment, records its decisions in status and as
 * Events, and a restarted operator keeps the scale-down window. Skipped without a {@code prometheus} binary.
 */
@WithKwokCluster
class ModelServerAutoscalingE2E {
  private static final Duration WAIT = Duration.ofSeconds(150);

  private static ControlPlane cluster;
  private static KubernetesClient admin;
  private static KamadoOperator operator;
  private static Process prometheus;
  private static String prometheusUrl;
  private static Path targets;
  private static String namespace;
  private static final Map<String, HttpServer> meters = new ConcurrentHashMap<>();
  private static final Map<String, double[]> counters = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService discovery = Executors.newSingleThreadScheduledExecutor();
  private static volatile double offeredTokensPerSecond;

  @BeforeAll
  static void start(ControlPlane cp, @TempDir Path dir) throws Exception {
    Path binary = onPath("prometheus");
    assumeTrue(binary != null, "no prometheus binary on the PATH (Debian package prometheus)");
    cluster = cp;
    admin = cp.client();
    int port = freePort();
    targets = dir.resolve("targets.json");
    Files.writeString(targets, "[]");
    Files.writeString(dir.resolve("prometheus.yml"), """
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: kamado-servers
            file_sd_configs:
              - files: ['%s']
                refresh_interval: 1s
        """.formatted(targets));
    prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
        "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    prometheusUrl = "http://127.0.0.1:" + port;
    awaitReady(prometheusUrl + "/-/ready");
    operator = startOperator();
    discovery.scheduleWithFixedDelay(ModelServerAutoscalingE2E::syncTargets, 0, 500, TimeUnit.MILLISECONDS);
  }

  private static KamadoOperator startOperator() {
    OperatorConfig config = new OperatorConfig(Set.of(), 0, false, null, "e2e", "kamado/trainer:test",
        "kamado/server:test", prometheusUrl, 10, Duration.ofSeconds(5));
    return KamadoOperator.start(config, cluster.newClient(), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    discovery.shutdownNow();
    if (operator != null) {
      operator.close();
    }
    meters.values().forEach(m -> m.stop(0));
    if (prometheus != null) {
      prometheus.destroy();
    }
  }

  @Test
  void scalesTheDeploymentOnTokensPerSecondAndKeepsTheWindowAcrossARestart() throws Exception {
    namespace = cluster.createNamespace("msa");
    storage();
    ModelServer server = new ModelServer();
    server.getMetadata().setName("triage");
    server.getMetadata().setNamespace(namespace);
    ModelServerSpec spec = new ModelServerSpec();
    spec.setModel(ModelSource.ofUri("pvc://models/triage/v1"));
    spec.setMinReplicas(1);
    spec.setMaxReplicas(4);
    Autoscaling autoscaling = new Autoscaling();
    autoscaling.setTargetTokensPerSecondPerReplica(200);
    autoscaling.setScaleDownStabilizationSeconds(30);
    spec.setAutoscaling(autoscaling);
    server.setSpec(spec);
    offeredTokensPerSecond = 100;
    admin.resources(ModelServer.class).inNamespace(namespace).resource(server).create();

    ModelServer steady = await("figures from Prometheus", s -> s.getStatus().getAutoscaler() != null
        && s.getStatus().getAutoscaler().getTokensPerSecond() != null);
    assertThat(steady.getStatus().getAutoscaler().getSource()).isEqualTo("prometheus");
    assertThat(steady.getStatus().getDesiredReplicas()).isEqualTo(1);

    Instant step = Instant.now();
    offeredTokensPerSecond = 700;
    ModelServer up = await("scaled to 4", s -> s.getStatus().getDesiredReplicas() == 4
        && s.getStatus().getReadyReplicas() == 4);
    double upSeconds = secondsSince(step, up.getStatus().getAutoscaler().getLastScaleTime());
    assertThat(admin.apps().deployments().inNamespace(namespace).withName("triage").get().getSpec().getReplicas())
        .isEqualTo(4);
    assertThat(events("ScaledUp")).isNotEmpty().allSatisfy(e -> assertThat(e.getMessage())
        .contains("tokens/s over target 200/replica", "prometheus"));
    Instant firstUp = events("ScaledUp").stream().map(e -> Instant.parse(e.getLastTimestamp())).min(
        Instant::compareTo).orElseThrow();

    // The load stops; the operator restarts inside the scale-down window. The window state in status lets the new
    // operator scale down as soon as the window since the last recommendation of 4 has passed; without it, it
    // would have to watch a whole window of its own (30 s from the restart) first.
    Instant drop = Instant.now();
    offeredTokensPerSecond = 0;
    Thread.sleep(20_000);
    // The last recommendation of 4 so far (the 1-minute rate still runs high for a while after the drop): the
    // scale-down window starts there at the earliest.
    Instant lastHigh = admin.resources(ModelServer.class).inNamespace(namespace).withName("triage").get().getStatus()
        .getAutoscaler().getRecommendations().stream().filter(r -> r.getReplicas() >= 4)
        .map(r -> Instant.parse(r.getTime())).max(Instant::compareTo).orElseThrow();
    Instant restarted = Instant.now();
    operator.close();
    operator = startOperator();
    ModelServer down = await("scaled down", s -> s.getStatus().getDesiredReplicas() < 4
        && s.getStatus().getAutoscaler().getLastDecision().startsWith("scale down"));
    Instant scaledDown = Instant.parse(down.getStatus().getAutoscaler().getLastScaleTime());
    List<String> window = down.getStatus().getAutoscaler().getRecommendations().stream()
        .map(r -> r.getTime() + "=" + r.getReplicas()).toList();
    System.out.printf(Locale.ROOT, "ModelServer autoscaling on KWOK with Prometheus: first scale-up %.1f s after the "
            + "load step (100 -> 700 tokens/s, target 200/replica, rate over 1m), 4 replicas %.1f s after it; first "
            + "scale-down %.1f s after the load stopped and %.1f s after the operator restart (window 30 s); "
            + "decision: %s; window state: %s%n",
        Duration.between(step, firstUp).toMillis() / 1000.0, upSeconds,
        Duration.between(drop, scaledDown).toMillis() / 1000.0,
        Duration.between(restarted, scaledDown).toMillis() / 1000.0,
        down.getStatus().getAutoscaler().getLastDecision(), window);
    assertThat(Duration.between(step, firstUp)).isLessThanOrEqualTo(Duration.ofSeconds(30));
    // The window runs from the last recommendation of the higher count: at least 30 s after it. That recommendation
    // may come from a reading taken up to one evaluation interval (5 s) before the test stopped the load.
    assertThat(Duration.between(lastHigh, scaledDown)).isGreaterThanOrEqualTo(Duration.ofSeconds(30));
    assertThat(Duration.between(drop, scaledDown)).isGreaterThanOrEqualTo(Duration.ofSeconds(25));
    assertThat(Duration.between(restarted, scaledDown)).isLessThan(Duration.ofSeconds(29));
    assertThat(down.getStatus().getAutoscaler().getLastDecision()).startsWith("scale down 4 -> ");
    assertThat(events("ScaledDown")).isNotEmpty();
    ModelServer one = await("back to 1", s -> s.getStatus().getDesiredReplicas() == 1
        && s.getStatus().getReadyReplicas() == 1);
    assertThat(one.getSpec().getReplicas()).isNull();
    assertThat(one.getMetadata().getGeneration()).isEqualTo(1L);
  }

  /** Keeps Prometheus's targets in step with the ModelServer's ready pods: one token meter per pod. */
  private static void syncTargets() {
    try {
      if (namespace == null) {
        return;
      }
      List<Pod> ready = admin.pods().inNamespace(namespace).withLabel("kamado.dev/modelserver", "triage").list()
          .getItems().stream().filter(ServingStatus::isReady).toList();
      Set<String> names = new java.util.HashSet<>();
      StringBuilder json = new StringBuilder("[");
      for (Pod pod : ready) {
        String name = pod.getMetadata().getName();
        names.add(name);
        HttpServer meter = meters.computeIfAbsent(name, ModelServerAutoscalingE2E::meter);
        json.append(json.length() > 1 ? "," : "").append("{\"targets\":[\"127.0.0.1:")
            .append(meter.getAddress().getPort()).append("\"],\"labels\":{\"namespace\":\"").append(namespace)
            .append("\",\"service\":\"triage\",\"pod\":\"").append(name).append("\"}}");
      }
      meters.keySet().removeIf(name -> {
        if (names.contains(name)) {
          return false;
        }
        meters.get(name).stop(0);
        return true;
      });
      Path tmp = targets.resolveSibling("targets.json.tmp");
      Files.writeString(tmp, json.append("]").toString());
      Files.move(tmp, targets, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (Exception e) {
      System.err.println("target sync: " + e);
    }
  }

  /** A pod's token meter: its counter grows at its share of the offered load, split evenly over the meters. */
  private static HttpServer meter(String pod) {
    try {
      HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      double[] state = {0, System.nanoTime()};
      counters.put(pod, state);
      http.createContext("/metrics", exchange -> {
        byte[] body;
        synchronized (state) {
          double now = System.nanoTime();
          state[0] += offeredTokensPerSecond / Math.max(1, meters.size()) * (now - state[1]) / 1e9;
          state[1] = now;
          body = ("kamado_generated_tokens_total " + state[0] + "\nkamado_requests_waiting 0\n")
              .getBytes(StandardCharsets.UTF_8);
        }
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      http.start();
      return http;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void storage() {
    String volume = namespace + "-models";
    admin.persistentVolumes().resource(new PersistentVolumeBuilder()
        .withNewMetadata().withName(volume).endMetadata()
        .withNewSpec()
        .withCapacity(Map.of("storage", new Quantity("10Gi")))
        .withAccessModes("ReadWriteMany")
        .withNewHostPath().withPath("/tmp/kamado-e2e/" + volume).endHostPath()
        .withNewClaimRef().withNamespace(namespace).withName("models").endClaimRef()
        .endSpec()
        .build()).create();
    admin.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
        .withNewMetadata().withName("models").endMetadata()
        .withNewSpec()
        .withAccessModes("ReadWriteMany")
        .withStorageClassName("")
        .withVolumeName(volume)
        .withNewResources().withRequests(Map.of("storage", new Quantity("10Gi"))).endResources()
        .endSpec()
        .build()).create();
  }

  private static List<Event> events(String reason) {
    return admin.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()) && "triage".equals(e.getInvolvedObject().getName())).toList();
  }

  private static double secondsSince(Instant start, String rfc3339) {
    return Duration.between(start, Instant.parse(rfc3339)).toMillis() / 1000.0;
  }

  private static ModelServer await(String what, Predicate<ModelServer> condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    ModelServer current = null;
    while (System.nanoTime() < deadline) {
      current = admin.resources(ModelServer.class).inNamespace(namespace).withName("triage").get();
      assertConsistent(current);
      if (current != null && current.getStatus() != null && current.getStatus().getDesiredReplicas() != null
          && current.getStatus().getReadyReplicas() != null && condition.test(current)) {
        return current;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out waiting for " + what + "; status: "
        + (current == null ? "gone" : Serialization.asYaml(current.getStatus())));
  }

  /**
   * Every status the test sees tells one story: the desired count equals the autoscaler's, and a "hold at N" or
   * "scale ... -> N" decision names that count. (An operator that patched a stale cached autoscaler status back with
   * only the count brought up to date once showed desiredReplicas 3 beside "hold at 4".)
   */
  private static void assertConsistent(ModelServer server) {
    if (server == null || server.getStatus() == null || server.getStatus().getAutoscaler() == null
        || server.getStatus().getDesiredReplicas() == null) {
      return;
    }
    var auto = server.getStatus().getAutoscaler();
    String where = "status " + Serialization.asYaml(server.getStatus());
    assertThat(auto.getDesiredReplicas()).as(where).isEqualTo(server.getStatus().getDesiredReplicas());
    String decision = auto.getLastDecision();
    if (decision == null) {
      return;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(?:hold at (\\d+)|scale (?:up|down) \\d+ -> (\\d+))")
        .matcher(decision);
    if (m.find()) {
      int named = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
      assertThat(named).as(where).isEqualTo(server.getStatus().getDesiredReplicas());
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
