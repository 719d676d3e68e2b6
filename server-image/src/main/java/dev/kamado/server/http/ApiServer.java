package dev.kamado.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.model.tokenizer.ChatMessage;
import dev.kamado.model.tokenizer.ChatSegment;
import dev.kamado.server.engine.Engine;
import dev.kamado.server.engine.GenerationRequest;
import dev.kamado.server.engine.QueueFullException;
import dev.kamado.server.engine.SamplingParams;
import dev.kamado.server.engine.TokenConstraint;
import dev.kamado.server.metrics.ServerMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The HTTP API: OpenAI-compatible completion routes, model list, metrics, health and readiness. Generation requests
 * are validated and tokenized on a worker thread, then handed to the {@link Engine}.
 */
public final class ApiServer {

  /** Lifecycle of the server as the API shows it. */
  public enum Phase {
    /** Loading or warming up the model: completion routes answer 503, /readyz is not ready. */
    STARTING,
    /** Serving. */
    READY,
    /** SIGTERM received: in-flight requests finish, new ones get 503. */
    DRAINING
  }

  private static final Set<String> ROUTES = Set.of("/v1/chat/completions", "/v1/completions", "/v1/models",
      "/metrics", "/healthz", "/readyz");

  private final Vertx vertx;
  private final ServerMetrics metrics;
  private final int maxRequestBytes;
  private volatile Phase phase = Phase.STARTING;
  private volatile Serving serving;
  private HttpServer server;

  /**
   * An API server, not yet listening.
   *
   * @param vertx the Vert.x instance
   * @param metrics the server's metrics
   * @param maxRequestBytes largest accepted request body
   */
  public ApiServer(Vertx vertx, ServerMetrics metrics, int maxRequestBytes) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.maxRequestBytes = maxRequestBytes;
  }

  /** Starts listening; the future gives the bound port. */
  public Future<Integer> listen(String host, int port) {
    Router router = router();
    return vertx.createHttpServer().requestHandler(router).listen(port, host).map(s -> {
      server = s;
      return s.actualPort();
    });
  }

  /** Switches to serving {@code ready}. */
  public void ready(Serving ready) {
    this.serving = ready;
    this.phase = Phase.READY;
    metrics.ready(true);
  }

  /** Stops accepting completion requests (503) and reports not ready; in-flight requests continue. */
  public void drain() {
    phase = Phase.DRAINING;
    metrics.ready(false);
  }

  /** The current phase. */
  public Phase phase() {
    return phase;
  }

  /** Closes the listening socket and open connections. */
  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      String path = ctx.request().path();
      String route = ROUTES.contains(path) ? path : "other";
      ctx.addEndHandler(ar -> metrics.httpRequest(route, ctx.response().getStatusCode()));
      ctx.next();
    });
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxRequestBytes);
    router.post("/v1/chat/completions").handler(body).handler(ctx -> generate(ctx, true));
    router.post("/v1/completions").handler(body).handler(ctx -> generate(ctx, false));
    router.get("/v1/models").handler(this::models);
    router.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", ServerMetrics.CONTENT_TYPE)
        .end(metrics.scrape()));
    router.get("/healthz").handler(this::healthz);
    router.get("/readyz").handler(this::readyz);
    router.errorHandler(404, ctx -> sendError(ctx.response(), new ApiError(404, "invalid_request_error", null,
        "not_found", "no route " + ctx.request().method() + " " + ctx.request().path())));
    router.errorHandler(405, ctx -> sendError(ctx.response(), new ApiError(405, "invalid_request_error", null,
        "method_not_allowed", "method " + ctx.request().method() + " is not allowed on " + ctx.request().path())));
    router.errorHandler(413, ctx -> sendError(ctx.response(), new ApiError(413, "invalid_request_error", null,
        "request_too_large", "the request body is larger than " + maxRequestBytes + " bytes")));
    router.errorHandler(500, ctx -> sendError(ctx.response(), new ApiError(500, "server_error", null, null,
        "internal error: " + (ctx.failure() == null ? "unknown" : ctx.failure().toString()))));
    return router;
  }

  private void readyz(RoutingContext ctx) {
    Phase now = phase;
    if (engineFailure() != null) {
      ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json").end("{\"status\":\"failed\"}");
      return;
    }
    ctx.response().setStatusCode(now == Phase.READY ? 200 : 503).putHeader("Content-Type", "application/json")
        .end("{\"status\":\"" + (now == Phase.READY ? "ready" : now == Phase.STARTING ? "loading" : "draining")
            + "\"}");
  }

  /** Alive unless the engine's thread stopped on an error: then 503, so that a kubelet restarts the server. */
  private void healthz(RoutingContext ctx) {
    String failure = engineFailure();
    if (failure != null) {
      ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json")
          .end(io.vertx.core.json.JsonObject.of("status", "engine failed", "error", failure).encode());
      return;
    }
    ctx.response().putHeader("Content-Type", "application/json").end("{\"status\":\"ok\"}");
  }

  private String engineFailure() {
    Serving current = serving;
    return current == null ? null : current.engine().failure();
  }

  private void models(RoutingContext ctx) {
    Serving current = serving;
    if (current == null) {
      sendError(ctx.response(), notReady());
      return;
    }
    ObjectNode root = OpenAiJson.JSON.createObjectNode();
    root.put("object", "list");
    ObjectNode model = root.putArray("data").addObject();
    model.put("id", current.modelName());
    model.put("object", "model");
    model.put("created", 0);
    model.put("owned_by", "kamado");
    model.put("max_model_len", current.engine().contextLength());
    ctx.response().putHeader("Content-Type", "application/json").end(root.toString());
  }

  private ApiError notReady() {
    return phase == Phase.DRAINING
        ? new ApiError(503, "service_unavailable", null, "shutting_down", "the server is shutting down")
        : new ApiError(503, "service_unavailable", null, "not_ready", "the model is still loading; retry later");
  }

  private void generate(RoutingContext ctx, boolean chat) {
    Serving current = serving;
    if (phase != Phase.READY || current == null) {
      ctx.response().putHeader("Retry-After", "1");
      sendError(ctx.response(), notReady());
      return;
    }
    byte[] bytes = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    Context context = vertx.getOrCreateContext();
    vertx.executeBlocking(() -> prepare(current, bytes, chat), false).onComplete(ar -> {
      if (ar.failed()) {
        Throwable failure = ar.cause();
        sendError(ctx.response(), failure instanceof ApiError ? (ApiError) failure
            : new ApiError(500, "server_error", null, null, "internal error: " + failure));
        return;
      }
      start(ctx, context, current, ar.result());
    });
  }

  /** A request ready for the engine. */
  private record Prepared(ParsedRequest request, int[] tokens, SamplingParams sampling, TokenConstraint constraint) {}

  private static Prepared prepare(Serving serving, byte[] body, boolean chat) {
    ParsedRequest request = RequestParser.parse(body, chat);
    int[] tokens;
    String param;
    if (chat) {
      List<ChatSegment> segments = serving.tokenizer().chatTemplate().render(request.messages(), true);
      StringBuilder text = new StringBuilder();
      for (ChatSegment segment : segments) {
        text.append(segment.text());
      }
      tokens = serving.tokenizer().encode(text.toString(), false);
      param = "messages";
    } else {
      tokens = serving.tokenizer().encode(request.prompt(), true);
      param = "prompt";
    }
    int context = serving.engine().contextLength();
    if (tokens.length == 0) {
      throw ApiError.invalid(param, "the " + param + " gives no tokens");
    }
    if (tokens.length >= context) {
      throw new ApiError(400, "invalid_request_error", param, "context_length_exceeded", "This model's maximum "
          + "context length is " + context + " tokens. However, your " + param + " resulted in " + tokens.length
          + " tokens, which leaves no room for a completion.");
    }
    int maxTokens;
    if (request.maxTokens() != null) {
      maxTokens = request.maxTokens();
      if (tokens.length + maxTokens > context) {
        throw new ApiError(400, "invalid_request_error", "max_tokens", "context_length_exceeded", "This model's "
            + "maximum context length is " + context + " tokens. However, you requested " + (tokens.length
            + maxTokens) + " tokens (" + tokens.length + " in the " + param + ", " + maxTokens
            + " in the completion). Please reduce the length of the " + param + " or the completion.");
      }
    } else {
      maxTokens = Math.min(serving.defaults().maxTokens(), context - tokens.length);
    }
    long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong();
    RequestDefaults defaults = serving.defaults();
    SamplingParams sampling = new SamplingParams(maxTokens,
        request.temperature() != null ? request.temperature() : defaults.temperature(),
        request.topP() != null ? request.topP() : defaults.topP(), seed,
        request.stop() != null ? request.stop() : defaults.stop(), request.ignoreEos());
    TokenConstraint constraint = serving.constraints().forRequest(request.responseFormat());
    return new Prepared(request, tokens, sampling, constraint);
  }

  private void start(RoutingContext ctx, Context context, Serving serving, Prepared prepared) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return;
    }
    if (phase != Phase.READY) {
      sendError(response, notReady());
      return;
    }
    ParsedRequest request = prepared.request();
    OpenAiJson json = new OpenAiJson(request.chat(), serving.modelName(), request.includeUsage());
    ResponseListener listener = new ResponseListener(context, response, json, request.stream());
    GenerationRequest generation = new GenerationRequest(prepared.tokens(), prepared.sampling(),
        prepared.constraint(), listener);
    try {
      serving.engine().submit(generation);
    } catch (QueueFullException e) {
      response.putHeader("Retry-After", "1");
      sendError(response, switch (e.kind()) {
        case SHUTTING_DOWN -> new ApiError(503, "service_unavailable", null, "shutting_down", e.getMessage());
        case ENGINE_FAILED -> new ApiError(503, "server_error", null, "engine_failed", e.getMessage());
        case FULL -> new ApiError(429, "rate_limit_exceeded", null, "queue_full", e.getMessage() + "; retry later");
      });
      return;
    }
    response.closeHandler(v -> {
      if (!listener.done()) {
        serving.engine().cancel(generation);
      }
    });
    if (response.closed()) {
      serving.engine().cancel(generation);
      return;
    }
    if (request.stream()) {
      listener.startStream();
    }
  }

  /** Sends {@code error} as OpenAI's error JSON with its status. */
  static void sendError(HttpServerResponse response, ApiError error) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .end(OpenAiJson.error(error).toString());
  }
}
