package dev.kamado.operator.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scraping servers' /metrics over real HTTP: rates from two scrapes, waiting requests, failures as missing. */
class PodMetricsScraperTest {
  private HttpServer serverA;
  private HttpServer serverB;
  private final AtomicReference<String> bodyA = new AtomicReference<>();
  private final AtomicReference<String> bodyB = new AtomicReference<>();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T12:00:00Z"));

  @BeforeEach
  void start() throws IOException {
    serverA = serve(bodyA);
    serverB = serve(bodyB);
  }

  @AfterEach
  void stop() {
    serverA.stop(0);
    serverB.stop(0);
  }

  @Test
  void ratesComeFromTheCounterIncreaseBetweenTwoScrapes() {
    PodMetricsScraper scraper = new PodMetricsScraper(Duration.ofSeconds(2), clock);
    bodyA.set(metrics(1000, 0));
    List<ServerPod> podA = List.of(new ServerPod("a", "uid-a", "127.0.0.1"));
    MetricsReading first = scraper.read("ns", "s", serverA.getAddress().getPort(), podA);
    assertThat(first).isInstanceOfSatisfying(MetricsReading.Missing.class,
        m -> assertThat(m.reason()).contains("first scrape"));

    clock.advance(Duration.ofSeconds(5));
    bodyA.set(metrics(2500, 3));
    MetricsReading second = scraper.read("ns", "s", serverA.getAddress().getPort(), podA);
    assertThat(second).isInstanceOfSatisfying(MetricsReading.Figures.class, f -> {
      assertThat(f.tokensPerSecond()).isEqualTo(300.0);
      assertThat(f.waitingRequests()).isEqualTo(3.0);
      assertThat(f.complete()).isTrue();
      assertThat(f.source()).isEqualTo("pods");
    });

    // A server restart resets its counter: the new value counts as the increase.
    clock.advance(Duration.ofSeconds(5));
    bodyA.set(metrics(500, 0));
    MetricsReading reset = scraper.read("ns", "s", serverA.getAddress().getPort(), podA);
    assertThat(((MetricsReading.Figures) reset).tokensPerSecond()).isEqualTo(100.0);
  }

  @Test
  void anUnreachablePodMakesTheFiguresPartial() {
    PodMetricsScraper scraper = new PodMetricsScraper(Duration.ofSeconds(2), clock);
    int port = serverA.getAddress().getPort();
    bodyA.set(metrics(0, 0));
    // 127.0.0.2 is loopback on Linux, but the test servers listen on 127.0.0.1 only: the second pod refuses.
    List<ServerPod> pods = List.of(new ServerPod("a", "uid-a", "127.0.0.1"), new ServerPod("b", "uid-b",
        "127.0.0.2"));
    scraper.read("ns", "s", port, pods);
    clock.advance(Duration.ofSeconds(5));
    bodyA.set(metrics(1000, 1));
    MetricsReading reading = scraper.read("ns", "s", port, pods);
    assertThat(reading).isInstanceOfSatisfying(MetricsReading.Figures.class, f -> {
      assertThat(f.tokensPerSecond()).isEqualTo(200.0);
      assertThat(f.replicasRead()).isEqualTo(1);
      assertThat(f.readyReplicas()).isEqualTo(2);
      assertThat(f.complete()).isFalse();
    });
  }

  @Test
  void aServerWithoutTheMetricsOrNoReadyPodIsMissing() {
    PodMetricsScraper scraper = new PodMetricsScraper(Duration.ofSeconds(2), clock);
    bodyB.set("# nothing here\nprocess_cpu_seconds_total 1.0\n");
    List<ServerPod> pod = List.of(new ServerPod("b", "uid-b", "127.0.0.1"));
    MetricsReading reading = scraper.read("ns", "s", serverB.getAddress().getPort(), pod);
    assertThat(reading).isInstanceOfSatisfying(MetricsReading.Missing.class,
        m -> assertThat(m.reason()).contains("b: no kamado_generated_tokens_total"));
    assertThat(scraper.read("ns", "s", 1, List.of())).isInstanceOfSatisfying(MetricsReading.Missing.class,
        m -> assertThat(m.reason()).isEqualTo("no ready replica"));
  }

  @Test
  void theTextFormatIsReadWithLabelsCommentsAndSeveralSeries() {
    String body = """
        # HELP kamado_generated_tokens_total Tokens generated.
        # TYPE kamado_generated_tokens_total counter
        kamado_generated_tokens_total{model="triage",path="/v1/chat/completions"} 1200.0
        kamado_generated_tokens_total{model="triage",path="/v1/completions"} 300.5 1732795200000
        kamado_generated_tokens_created{model="triage"} 1.7327952E9
        kamado_requests_waiting{note="a } in a label"} 4
        kamado_requests_waiting_other 99
        """;
    assertThat(PrometheusText.sum(body, "kamado_generated_tokens_total")).hasValue(1500.5);
    assertThat(PrometheusText.sum(body, "kamado_requests_waiting")).hasValue(4.0);
    assertThat(PrometheusText.sum(body, "kamado_requests_running")).isEmpty();
  }

  private static String metrics(double tokens, double waiting) {
    return "# TYPE kamado_generated_tokens_total counter\nkamado_generated_tokens_total " + tokens
        + "\n# TYPE kamado_requests_waiting gauge\nkamado_requests_waiting " + waiting
        + "\nkamado_requests_running 1\n";
  }

  private static HttpServer serve(AtomicReference<String> body) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/metrics", exchange -> {
      byte[] bytes = body.get() == null ? new byte[0] : body.get().getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(body.get() == null ? 503 : 200, bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    server.start();
    return server;
  }

  /** A clock the test moves, so that rates are exact. */
  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
