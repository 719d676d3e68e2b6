package dev.kamado.server.metrics;

import dev.kamado.server.engine.EngineMetrics;
import dev.kamado.server.engine.FinishReason;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics (names fixed by DESIGN.md) in a registry of its own, and their text exposition.
 */
public final class ServerMetrics implements EngineMetrics {

  /** Content type of {@link #scrape()}. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
      5, 10, 30, 60};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter generatedTokens;
  private final Counter promptTokens;
  private final Histogram timeToFirstToken;
  private final Histogram interTokenLatency;
  private final Histogram requestDuration;
  private final Counter finishedRequests;
  private final Counter httpRequests;
  private final Gauge ready;

  /**
   * Metrics whose running and waiting gauges read the given suppliers at scrape time.
   *
   * @param running sequences being decoded
   * @param waiting requests queued
   */
  public ServerMetrics(IntSupplier running, IntSupplier waiting) {
    generatedTokens = Counter.builder().name("kamado_generated_tokens_total")
        .help("Tokens generated (end-of-sequence tokens included)").register(registry);
    promptTokens = Counter.builder().name("kamado_prompt_tokens_total")
        .help("Prompt tokens prefilled").register(registry);
    GaugeWithCallback.builder().name("kamado_requests_running")
        .help("Sequences in the running batch").callback(cb -> cb.call(running.getAsInt())).register(registry);
    GaugeWithCallback.builder().name("kamado_requests_waiting")
        .help("Requests waiting for a slot in the running batch").callback(cb -> cb.call(waiting.getAsInt()))
        .register(registry);
    timeToFirstToken = Histogram.builder().name("kamado_time_to_first_token_seconds")
        .help("Seconds from a request's arrival at the engine to its first generated token")
        .classicUpperBounds(LATENCY_BUCKETS).register(registry);
    interTokenLatency = Histogram.builder().name("kamado_inter_token_latency_seconds")
        .help("Seconds between two consecutive generated tokens of a request")
        .classicUpperBounds(LATENCY_BUCKETS).register(registry);
    requestDuration = Histogram.builder().name("kamado_request_duration_seconds")
        .help("Seconds from a request's arrival at the engine until it left the engine")
        .classicUpperBounds(LATENCY_BUCKETS).labelNames("finish_reason").register(registry);
    finishedRequests = Counter.builder().name("kamado_engine_requests_total")
        .help("Requests that left the engine, by finish reason (stop, length, cancelled)")
        .labelNames("finish_reason").register(registry);
    httpRequests = Counter.builder().name("kamado_http_requests_total")
        .help("HTTP requests answered, by route and status code").labelNames("route", "status").register(registry);
    ready = Gauge.builder().name("kamado_ready").help("1 when the model is loaded and warmed up and the server "
        + "accepts requests, else 0").register(registry);
  }

  @Override
  public void promptTokens(int count) {
    promptTokens.inc(count);
  }

  @Override
  public void generatedToken(boolean first, double secondsSincePrevious) {
    generatedTokens.inc();
    if (first) {
      timeToFirstToken.observe(secondsSincePrevious);
    } else {
      interTokenLatency.observe(secondsSincePrevious);
    }
  }

  @Override
  public void finished(FinishReason reason, double secondsSinceArrival) {
    requestDuration.labelValues(reason.wireName()).observe(secondsSinceArrival);
    finishedRequests.labelValues(reason.wireName()).inc();
  }

  /** Counts an answered HTTP request. */
  public void httpRequest(String route, int status) {
    httpRequests.labelValues(route, Integer.toString(status)).inc();
  }

  /** Sets the readiness gauge. */
  public void ready(boolean isReady) {
    ready.set(isReady ? 1 : 0);
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
