package dev.kamado.server.http;

import dev.kamado.server.engine.FinishReason;
import dev.kamado.server.engine.GenerationListener;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;

/**
 * Sends a request's output to its HTTP response: as server-sent events while it is generated, or as one JSON body
 * at the end. Engine callbacks are moved to the response's Vert.x context.
 */
final class ResponseListener implements GenerationListener {

  private final Context context;
  private final HttpServerResponse response;
  private final OpenAiJson json;
  private final boolean stream;
  private final StringBuilder text;
  private volatile boolean done;

  ResponseListener(Context context, HttpServerResponse response, OpenAiJson json, boolean stream) {
    this.context = context;
    this.response = response;
    this.json = json;
    this.stream = stream;
    this.text = stream ? null : new StringBuilder();
  }

  /** Whether the end (or an error) has been sent or is being sent. */
  boolean done() {
    return done;
  }

  /** Starts the event stream: headers and the role chunk. */
  void startStream() {
    response.setChunked(true);
    response.putHeader("Content-Type", "text/event-stream; charset=utf-8");
    response.putHeader("Cache-Control", "no-cache");
    response.putHeader("X-Accel-Buffering", "no");
    String role = json.roleChunk();
    if (role != null) {
      response.write(role);
    } else {
      response.write(":\n\n");
    }
  }

  @Override
  public void onText(String delta) {
    if (delta.isEmpty()) {
      return;
    }
    if (!stream) {
      text.append(delta);
      return;
    }
    String chunk = json.textChunk(delta);
    context.runOnContext(v -> {
      if (!response.closed()) {
        response.write(chunk);
      }
    });
  }

  @Override
  public void onFinish(FinishReason reason, int promptTokens, int completionTokens) {
    done = true;
    if (stream) {
      String end = json.finalChunks(reason, promptTokens, completionTokens);
      context.runOnContext(v -> {
        if (!response.closed()) {
          response.end(end);
        }
      });
    } else {
      String body = json.response(text.toString(), reason, promptTokens, completionTokens).toString();
      context.runOnContext(v -> {
        if (!response.closed()) {
          response.putHeader("Content-Type", "application/json").end(body);
        }
      });
    }
  }

  @Override
  public void onError(String message) {
    done = true;
    ApiError error = new ApiError(message.contains("shut") ? 503 : 500,
        message.contains("shut") ? "service_unavailable" : "server_error", null, null, message);
    context.runOnContext(v -> {
      if (response.closed()) {
        return;
      }
      if (stream) {
        response.end(OpenAiJson.streamError(error));
      } else {
        ApiServer.sendError(response, error);
      }
    });
  }
}
