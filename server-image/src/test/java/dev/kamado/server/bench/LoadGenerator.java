package dev.kamado.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Drives a Kamado server (or any OpenAI-compatible server) over HTTP: {@code concurrency} clients, each sending its
 * share of streaming requests one after another, measuring time to first token, per-request decode rate and the
 * aggregate generated tokens per second (from the usage chunk of each stream).
 */
public final class LoadGenerator {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final URI endpoint;

  /** A generator for {@code endpoint}, such as http://127.0.0.1:8000/v1/completions. */
  public LoadGenerator(URI endpoint) {
    this.endpoint = endpoint;
  }

  /** One request's figures. */
  public record Sample(int completionTokens, double ttftSeconds, double decodeSeconds, double totalSeconds) {}

  /** A run's figures; {@code samples} in request order (sample i is request i). */
  public record Result(int concurrency, List<Sample> samples, double wallSeconds) {

    /** Generated tokens of all requests over the wall time of the run. */
    public double tokensPerSecond() {
      return samples.stream().mapToInt(Sample::completionTokens).sum() / wallSeconds;
    }

    /** Mean decode rate of one request (tokens after the first over the time after the first). */
    public double decodeTokensPerSecond() {
      return samples.stream().filter(s -> s.completionTokens() > 1 && s.decodeSeconds() > 0)
          .mapToDouble(s -> (s.completionTokens() - 1) / s.decodeSeconds()).average().orElse(0);
    }

    /**
     * Inter-token decode rate over all requests together: the tokens after each request's first, summed, over the
     * times from each request's first to its last token, summed (per-request costs before the first token, such as
     * HTTP, prefill and queueing, are left out).
     */
    public double interTokenTokensPerSecond() {
      long tokens = 0;
      double seconds = 0;
      for (Sample s : samples) {
        if (s.completionTokens() > 1 && s.decodeSeconds() > 0) {
          tokens += s.completionTokens() - 1;
          seconds += s.decodeSeconds();
        }
      }
      return seconds > 0 ? tokens / seconds : 0;
    }

    /** Mean completion tokens per request. */
    public double meanCompletionTokens() {
      return samples.stream().mapToInt(Sample::completionTokens).average().orElse(0);
    }

    /** A quantile (0..1) of time to first token in seconds. */
    public double ttft(double q) {
      double[] t = samples.stream().mapToDouble(Sample::ttftSeconds).sorted().toArray();
      if (t.length == 0) {
        return Double.NaN;
      }
      return t[Math.min(t.length - 1, (int) Math.ceil(q * t.length) - 1 < 0 ? 0 : (int) Math.ceil(q * t.length) - 1)];
    }
  }

  /**
   * Runs {@code requests} requests with {@code concurrency} clients.
   *
   * @param body request body for request number i (must ask for stream with include_usage)
   */
  public Result run(int concurrency, int requests, IntFunction<String> body) throws Exception {
    return run(concurrency, requests, 0, body);
  }

  /**
   * Runs at least {@code minRequests} requests with {@code concurrency} clients, and keeps the clients sending new
   * requests (numbered on) until {@code minSeconds} have passed, so that short requests still give a phase long
   * enough for steady figures. Each client sends its requests one after another; request numbers are handed out in
   * order, and the result's samples are in request order.
   *
   * @param body request body for request number i (must ask for stream with include_usage)
   */
  public Result run(int concurrency, int minRequests, double minSeconds, IntFunction<String> body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> clients = new ArrayList<>();
      ConcurrentHashMap<Integer, Sample> all = new ConcurrentHashMap<>();
      AtomicInteger next = new AtomicInteger();
      long start = System.nanoTime();
      long minEnd = start + (long) (minSeconds * 1e9);
      for (int c = 0; c < concurrency; c++) {
        clients.add(pool.submit(() -> {
          while (true) {
            int i = next.getAndIncrement();
            if (i >= minRequests && System.nanoTime() >= minEnd) {
              return null;
            }
            all.put(i, one(body.apply(i)));
          }
        }));
      }
      for (Future<?> f : clients) {
        f.get();
      }
      double wall = (System.nanoTime() - start) / 1e9;
      List<Sample> samples = new ArrayList<>();
      for (int i = 0; all.containsKey(i); i++) {
        samples.add(all.get(i));
      }
      return new Result(concurrency, List.copyOf(samples), wall);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Sends one streaming request and measures it. */
  public Sample one(String body) throws Exception {
    long start = System.nanoTime();
    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofMinutes(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + response.statusCode() + ": "
          + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
    }
    long first = 0;
    long last = 0;
    int tokens = -1;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
          continue;
        }
        JsonNode event = JSON.readTree(line.substring(6));
        if (event.has("error")) {
          throw new IllegalStateException(line);
        }
        JsonNode choice = event.path("choices").path(0);
        String piece = choice.has("delta") ? choice.path("delta").path("content").asText("")
            : choice.path("text").asText("");
        if (!piece.isEmpty()) {
          long now = System.nanoTime();
          if (first == 0) {
            first = now;
          }
          last = now;
        }
        if (event.path("usage").isObject()) {
          tokens = event.path("usage").path("completion_tokens").asInt();
        }
      }
    }
    long end = System.nanoTime();
    if (tokens < 0) {
      throw new IllegalStateException("no usage chunk; the request must set stream_options.include_usage");
    }
    if (first == 0) {
      first = end;
      last = end;
    }
    return new Sample(tokens, (first - start) / 1e9, (last - first) / 1e9, (end - start) / 1e9);
  }

  /** Percentile helper for printing. */
  static double[] sorted(double[] values) {
    double[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }
}
