package dev.kamado.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.parsetools.RecordParser;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Drives a Kamado server (or any OpenAI-compatible server) over HTTP: {@code concurrency} clients, each sending its
 * share of streaming requests one after another, measuring time to first token, per-request decode rate and the
 * aggregate generated tokens per second (from the usage chunk of each stream).
 *
 * <p>The clients share one Vert.x event loop (keep-alive connections, no thread per client), and a chunk is read with a
 * string search for its text field; only the usage chunk, error chunks and chunks in another layout are parsed as
 * JSON. So the generator costs little CPU per token: it runs on the same cores as the server it measures. (The
 * previous generator, the JDK's HttpClient with a thread per client and a JSON tree per chunk, took 0.05-0.15 ms of CPU
 * per token, about a third of the server's own on the demo model.)
 */
public final class LoadGenerator implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
  private final HttpClientAgent http;
  private final URI endpoint;

  /** A generator for {@code endpoint}, such as http://127.0.0.1:8000/v1/completions. */
  public LoadGenerator(URI endpoint) {
    this.endpoint = endpoint;
    this.http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(endpoint.getHost())
        .setDefaultPort(endpoint.getPort()).setKeepAlive(true).setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(512));
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
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
    ConcurrentHashMap<Integer, Sample> all = new ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger clients = new AtomicInteger(concurrency);
    CompletableFuture<Void> done = new CompletableFuture<>();
    long start = System.nanoTime();
    long minEnd = start + (long) (minSeconds * 1e9);
    for (int c = 0; c < concurrency; c++) {
      vertx.runOnContext(v -> client(all, next, clients, done, minRequests, minEnd, body));
    }
    done.get(30, TimeUnit.MINUTES);
    double wall = (System.nanoTime() - start) / 1e9;
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; all.containsKey(i); i++) {
      samples.add(all.get(i));
    }
    return new Result(concurrency, List.copyOf(samples), wall);
  }

  /** One client: its next request, then (when it ends) the one after, until the phase is over. */
  private void client(ConcurrentHashMap<Integer, Sample> all, AtomicInteger next, AtomicInteger clients,
      CompletableFuture<Void> done, int minRequests, long minEnd, IntFunction<String> body) {
    if (done.isDone()) {
      return;
    }
    int i = next.getAndIncrement();
    if (i >= minRequests && System.nanoTime() >= minEnd) {
      if (clients.decrementAndGet() == 0) {
        done.complete(null);
      }
      return;
    }
    one(body.apply(i)).onSuccess(sample -> {
      all.put(i, sample);
      client(all, next, clients, done, minRequests, minEnd, body);
    }).onFailure(done::completeExceptionally);
  }

  /** Sends one streaming request and measures it (on the generator's event loop). */
  private Future<Sample> one(String body) {
    long start = System.nanoTime();
    Promise<Sample> result = Promise.promise();
    http.request(HttpMethod.POST, endpoint.getRawPath())
        .compose(request -> request.putHeader("Content-Type", "application/json").send(Buffer.buffer(body)))
        .onSuccess(response -> {
          if (response.statusCode() != 200) {
            response.body().onComplete(b -> result.tryFail(new IllegalStateException("HTTP " + response.statusCode()
                + ": " + (b.succeeded() ? b.result().toString() : b.cause()))));
            return;
          }
          Stream stream = new Stream();
          response.handler(RecordParser.newDelimited("\n", line -> {
            try {
              stream.line(line.toString());
            } catch (RuntimeException e) {
              result.tryFail(e);
            }
          }));
          response.exceptionHandler(result::tryFail);
          response.endHandler(v -> {
            long end = System.nanoTime();
            if (stream.tokens < 0) {
              result.tryFail(new IllegalStateException(
                  "no usage chunk; the request must set stream_options.include_usage"));
              return;
            }
            long first = stream.first == 0 ? end : stream.first;
            long last = stream.first == 0 ? end : stream.last;
            result.tryComplete(new Sample(stream.tokens, (first - start) / 1e9, (last - first) / 1e9,
                (end - start) / 1e9));
          });
        })
        .onFailure(result::tryFail);
    return result.future();
  }

  /** What one stream's lines have shown so far. */
  private static final class Stream {
    long first;
    long last;
    int tokens = -1;

    void line(String line) {
      if (!line.startsWith("data: ") || line.startsWith("data: [DONE]")) {
        return;
      }
      int piece = textAt(line);
      if (piece >= 0 && !line.contains("\"usage\":{") && !line.contains("\"error\"")) {
        if (line.charAt(piece) != '"') {
          text();
        }
        return;
      }
      JsonNode event;
      try {
        event = JSON.readTree(line.substring(6));
      } catch (java.io.IOException e) {
        throw new IllegalStateException("not JSON: " + line, e);
      }
      if (event.has("error")) {
        throw new IllegalStateException(line);
      }
      JsonNode choice = event.path("choices").path(0);
      String text = choice.has("delta") ? choice.path("delta").path("content").asText("")
          : choice.path("text").asText("");
      if (!text.isEmpty()) {
        text();
      }
      if (event.path("usage").isObject()) {
        tokens = event.path("usage").path("completion_tokens").asInt();
      }
    }

    private void text() {
      long now = System.nanoTime();
      if (first == 0) {
        first = now;
      }
      last = now;
    }

    /** Where the text of a chunk in the compact layout starts (after its opening quote), or -1. */
    private static int textAt(String line) {
      int at = line.indexOf("\"content\":\"");
      if (at >= 0) {
        return at + 11;
      }
      at = line.indexOf("\"text\":\"");
      return at >= 0 ? at + 8 : -1;
    }
  }
}
