package dev.kamado.operator.autoscale;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads figures by scraping each ready pod's {@code /metrics} directly, for clusters without Prometheus. Tokens per
 * second is the counter's increase between this scrape and the previous one of the same pod, so a pod counts from
 * its second scrape on.
 */
public final class PodMetricsScraper implements MetricsSource {
  public static final String SOURCE = "pods";

  private final HttpClient http;
  private final Duration timeout;
  private final Clock clock;
  private final Map<String, Map<String, Sample>> previous = new ConcurrentHashMap<>();

  private record Sample(Instant time, double generatedTokens) {}

  private record Scrape(ServerPod pod, Instant time, String body, String error) {}

  public PodMetricsScraper(Duration timeout, Clock clock) {
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.timeout = timeout;
    this.clock = clock;
  }

  @Override
  public MetricsReading read(String namespace, String server, int port, List<ServerPod> readyPods) {
    if (readyPods.isEmpty()) {
      return new MetricsReading.Missing(SOURCE, "no ready replica");
    }
    List<CompletableFuture<Scrape>> scrapes = new ArrayList<>();
    for (ServerPod pod : readyPods) {
      scrapes.add(scrape(pod, port));
    }
    Map<String, Sample> before = previous.computeIfAbsent(namespace + "/" + server, k -> new ConcurrentHashMap<>());
    double tokensPerSecond = 0;
    double waiting = 0;
    int read = 0;
    String firstError = null;
    Set<String> seen = new HashSet<>();
    for (CompletableFuture<Scrape> future : scrapes) {
      Scrape scrape = future.join();
      seen.add(scrape.pod().uid());
      if (scrape.error() != null) {
        firstError = firstError == null ? scrape.pod().name() + ": " + scrape.error() : firstError;
        continue;
      }
      var tokens = PrometheusText.sum(scrape.body(), GENERATED_TOKENS);
      var waitingNow = PrometheusText.sum(scrape.body(), REQUESTS_WAITING);
      if (tokens.isEmpty() || waitingNow.isEmpty()) {
        firstError = firstError == null ? scrape.pod().name() + ": no " + GENERATED_TOKENS + " or "
            + REQUESTS_WAITING : firstError;
        continue;
      }
      Sample now = new Sample(scrape.time(), tokens.getAsDouble());
      Sample last = before.put(scrape.pod().uid(), now);
      if (last == null || !now.time().isAfter(last.time())) {
        continue;
      }
      double seconds = Duration.between(last.time(), now.time()).toNanos() / 1e9;
      // A counter that went down means the server restarted: its whole value is new.
      double increase = now.generatedTokens() >= last.generatedTokens()
          ? now.generatedTokens() - last.generatedTokens() : now.generatedTokens();
      tokensPerSecond += increase / seconds;
      waiting += waitingNow.getAsDouble();
      read++;
    }
    before.keySet().retainAll(seen);
    if (read == 0) {
      return new MetricsReading.Missing(SOURCE, firstError != null ? firstError
          : "first scrape of " + readyPods.size() + " ready replica(s); a rate needs two");
    }
    return new MetricsReading.Figures(SOURCE, tokensPerSecond, waiting, read, readyPods.size());
  }

  @Override
  public void retain(Set<String> servers) {
    previous.keySet().retainAll(servers);
  }

  private CompletableFuture<Scrape> scrape(ServerPod pod, int port) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + hostPort(pod.ip(), port) + "/metrics"))
        .timeout(timeout)
        .header("Accept", "text/plain")
        .GET()
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          Instant time = clock.instant();
          if (error != null) {
            return new Scrape(pod, time, null, describe(error));
          }
          if (response.statusCode() != 200) {
            return new Scrape(pod, time, null, "HTTP " + response.statusCode());
          }
          return new Scrape(pod, time, response.body(), null);
        });
  }

  private static String hostPort(String ip, int port) {
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
  }

  private static String describe(Throwable error) {
    Throwable cause = error.getCause() != null ? error.getCause() : error;
    return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage());
  }
}
