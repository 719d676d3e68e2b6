package dev.kamado.server.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.server.engine.FinishReason;
import java.util.concurrent.ThreadLocalRandom;

/**
 * OpenAI response bodies and stream chunks for one request. Stream chunks are written from a prefix fixed per request
 * plus the escaped text, to keep the per-token cost low.
 */
final class OpenAiJson {

  static final ObjectMapper JSON = new ObjectMapper();

  private final boolean chat;
  private final String id;
  private final long created;
  private final String model;
  private final String chunkPrefix;
  private final boolean includeUsage;

  OpenAiJson(boolean chat, String model, boolean includeUsage) {
    this.chat = chat;
    this.id = (chat ? "chatcmpl-" : "cmpl-") + Long.toHexString(ThreadLocalRandom.current().nextLong())
        + Long.toHexString(ThreadLocalRandom.current().nextLong());
    this.created = System.currentTimeMillis() / 1000;
    this.model = model;
    this.includeUsage = includeUsage;
    this.chunkPrefix = "data: {\"id\":\"" + id + "\",\"object\":\"" + (chat ? "chat.completion.chunk" : "text_completion")
        + "\",\"created\":" + created + ",\"model\":" + quote(model) + ",\"system_fingerprint\":null,\"choices\":[";
  }

  /** The first chunk of a chat stream (the assistant role, empty content); null for plain completions. */
  String roleChunk() {
    if (!chat) {
      return null;
    }
    return chunkPrefix + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
        + "\"finish_reason\":null}]" + usageNull() + "}\n\n";
  }

  /** A chunk carrying {@code text}. */
  String textChunk(String text) {
    String quoted = quote(text);
    if (chat) {
      return chunkPrefix + "{\"index\":0,\"delta\":{\"content\":" + quoted + "},\"logprobs\":null,"
          + "\"finish_reason\":null}]" + usageNull() + "}\n\n";
    }
    return chunkPrefix + "{\"index\":0,\"text\":" + quoted + ",\"logprobs\":null,\"finish_reason\":null}]"
        + usageNull() + "}\n\n";
  }

  /** The closing chunks: finish reason, usage when asked for, and the [DONE] marker. */
  String finalChunks(FinishReason reason, int promptTokens, int completionTokens) {
    StringBuilder out = new StringBuilder(256);
    out.append(chunkPrefix);
    if (chat) {
      out.append("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"");
    } else {
      out.append("{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"");
    }
    out.append(reason.wireName()).append("\"}]").append(usageNull()).append("}\n\n");
    if (includeUsage) {
      out.append(chunkPrefix).append("],\"usage\":").append(usage(promptTokens, completionTokens).toString())
          .append("}\n\n");
    }
    out.append("data: [DONE]\n\n");
    return out.toString();
  }

  /** The whole non-streamed response. */
  ObjectNode response(String text, FinishReason reason, int promptTokens, int completionTokens) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put("object", chat ? "chat.completion" : "text_completion");
    root.put("created", created);
    root.put("model", model);
    root.putNull("system_fingerprint");
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    if (chat) {
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.put("content", text);
    } else {
      choice.put("text", text);
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", reason.wireName());
    root.set("usage", usage(promptTokens, completionTokens));
    return root;
  }

  /** An error event inside a stream, then [DONE]. */
  static String streamError(ApiError error) {
    return "data: " + error(error).toString() + "\n\ndata: [DONE]\n\n";
  }

  /** OpenAI's error body. */
  static ObjectNode error(ApiError error) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode body = root.putObject("error");
    body.put("message", error.getMessage());
    body.put("type", error.type());
    body.put("param", error.param());
    body.put("code", error.code());
    return root;
  }

  private static ObjectNode usage(int promptTokens, int completionTokens) {
    ObjectNode usage = JSON.createObjectNode();
    usage.put("prompt_tokens", promptTokens);
    usage.put("completion_tokens", completionTokens);
    usage.put("total_tokens", promptTokens + completionTokens);
    return usage;
  }

  private String usageNull() {
    return includeUsage ? ",\"usage\":null" : "";
  }

  private static String quote(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2);
    out.append('"');
    JsonStringEncoder.getInstance().quoteAsString(text, out);
    return out.append('"').toString();
  }
}
