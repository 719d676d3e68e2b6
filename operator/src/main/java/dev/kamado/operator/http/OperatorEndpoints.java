package dev.kamado.operator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operator's own HTTP endpoints: {@code /healthz} (liveness), {@code /readyz} (readiness) and {@code /metrics}
 * (Prometheus text format). Small and dependency-free: the JDK's HTTP server on one thread.
 */
public final class OperatorEndpoints implements AutoCloseable {
  /** A probe's verdict and the reason shown in its response body. */
  public record Probe(boolean ok, String detail) {}

  private final HttpServer server;

  private OperatorEndpoints(HttpServer server) {
    this.server = server;
  }

  public static OperatorEndpoints start(
      int port, Supplier<Probe> liveness, Supplier<Probe> readiness, PrometheusRegistry registry) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
    server.createContext("/healthz", exchange -> probe(exchange, liveness.get()));
    server.createContext("/readyz", exchange -> probe(exchange, readiness.get()));
    ExpositionFormats formats = ExpositionFormats.init();
    server.createContext("/metrics", exchange -> {
      if (!allowGet(exchange)) {
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
      var writer = formats.findWriter(exchange.getRequestHeaders().getFirst("Accept"));
      writer.write(body, registry.scrape());
      exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
      send(exchange, 200, body.toByteArray());
    });
    server.createContext("/", exchange -> send(exchange, 404, "not found: try /healthz, /readyz or /metrics\n"));
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kamado-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return new OperatorEndpoints(server);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void probe(HttpExchange exchange, Probe probe) throws IOException {
    if (!allowGet(exchange)) {
      return;
    }
    send(exchange, probe.ok() ? 200 : 503, (probe.ok() ? "ok" : "not ok") + ": " + probe.detail() + "\n");
  }

  private static boolean allowGet(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    if (method.equals("GET") || method.equals("HEAD")) {
      return true;
    }
    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
    send(exchange, 405, "method " + method + " not allowed: use GET\n");
    return false;
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
