package dev.kamado.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed server-sent event stream of OpenAI chunks.
 *
 * @param events the JSON of each {@code data:} event before {@code [DONE]}
 * @param done whether the stream ended with {@code data: [DONE]}
 * @param text the concatenated content / text deltas
 */
record Sse(List<JsonNode> events, boolean done, String text) {

  static Sse parse(String body, boolean chat) throws IOException {
    List<JsonNode> events = new ArrayList<>();
    boolean done = false;
    StringBuilder text = new StringBuilder();
    for (String block : body.split("\n\n")) {
      if (block.isBlank() || block.startsWith(":")) {
        continue;
      }
      if (!block.startsWith("data: ")) {
        throw new IllegalStateException("not an SSE data event: " + block);
      }
      String data = block.substring("data: ".length());
      if (data.equals("[DONE]")) {
        done = true;
        continue;
      }
      if (done) {
        throw new IllegalStateException("event after [DONE]: " + data);
      }
      JsonNode event = ServerProcess.json(data);
      events.add(event);
      JsonNode choice = event.path("choices").path(0);
      JsonNode piece = chat ? choice.path("delta").path("content") : choice.path("text");
      if (piece.isTextual()) {
        text.append(piece.asText());
      }
    }
    return new Sse(events, done, text.toString());
  }

  /** The finish_reason of the last chunk that has choices. */
  String finishReason() {
    for (int i = events.size() - 1; i >= 0; i--) {
      JsonNode choices = events.get(i).path("choices");
      if (choices.size() > 0) {
        return choices.get(0).path("finish_reason").asText(null);
      }
    }
    return null;
  }
}
