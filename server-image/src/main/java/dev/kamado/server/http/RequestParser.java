package dev.kamado.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.model.tokenizer.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates OpenAI request bodies. Every error names the field ({@code param}) and the reason; fields this server
 * does not use (user, frequency_penalty ...) are ignored, as OpenAI-compatible servers commonly do.
 */
public final class RequestParser {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");
  private static final int MAX_STOP = 16;

  private RequestParser() {
  }

  /** Parses a body for /v1/chat/completions ({@code chat}) or /v1/completions. */
  public static ParsedRequest parse(byte[] body, boolean chat) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw ApiError.invalid(null, "the request body is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      throw ApiError.invalid(null, "the request body must be a JSON object");
    }
    optionalText(root, "model");
    List<ChatMessage> messages = chat ? messages(root) : null;
    String prompt = chat ? null : prompt(root);
    Integer maxTokens = positiveInt(root, "max_completion_tokens");
    Integer legacyMax = positiveInt(root, "max_tokens");
    if (maxTokens == null) {
      maxTokens = legacyMax;
    }
    Double temperature = optionalNumber(root, "temperature", 0, 2);
    Double topP = optionalNumber(root, "top_p", 0, 1);
    if (topP != null && topP == 0) {
      throw ApiError.invalid("top_p", "top_p must be greater than 0 and at most 1, got 0");
    }
    Long seed = null;
    JsonNode seedNode = root.get("seed");
    if (seedNode != null && !seedNode.isNull()) {
      if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
        throw ApiError.invalid("seed", "seed must be an integer, got " + describe(seedNode));
      }
      seed = seedNode.asLong();
    }
    JsonNode n = root.get("n");
    if (n != null && !n.isNull()) {
      if (!n.isIntegralNumber()) {
        throw ApiError.invalid("n", "n must be an integer, got " + describe(n));
      }
      if (n.asLong() != 1) {
        throw ApiError.invalid("n", "only n = 1 is supported, got " + n.asText());
      }
    }
    boolean stream = bool(root, "stream");
    boolean includeUsage = false;
    JsonNode streamOptions = root.get("stream_options");
    if (streamOptions != null && !streamOptions.isNull()) {
      if (!streamOptions.isObject()) {
        throw ApiError.invalid("stream_options", "stream_options must be an object, got " + describe(streamOptions));
      }
      if (!stream) {
        throw ApiError.invalid("stream_options", "stream_options is only allowed when stream is true");
      }
      includeUsage = bool(streamOptions, "include_usage", "stream_options.include_usage");
    }
    List<String> stop = stop(root);
    JsonNode format = responseFormat(root);
    JsonNode logprobs = root.get("logprobs");
    if (logprobs != null && (logprobs.isBoolean() && logprobs.asBoolean() || logprobs.isNumber())) {
      throw ApiError.invalid("logprobs", "logprobs are not supported");
    }
    boolean ignoreEos = bool(root, "ignore_eos");
    return new ParsedRequest(chat, messages, prompt, maxTokens, temperature, topP, seed, stop, stream, includeUsage,
        format, ignoreEos);
  }

  private static List<ChatMessage> messages(JsonNode root) {
    JsonNode node = root.get("messages");
    if (node == null || node.isNull()) {
      throw ApiError.invalid("messages", "messages is required");
    }
    if (!node.isArray() || node.isEmpty()) {
      throw ApiError.invalid("messages", "messages must be a non-empty array, got " + describe(node));
    }
    List<ChatMessage> messages = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode message = node.get(i);
      String at = "messages[" + i + "]";
      if (!message.isObject()) {
        throw ApiError.invalid(at, at + " must be an object, got " + describe(message));
      }
      JsonNode role = message.get("role");
      if (role == null || !role.isTextual()) {
        throw ApiError.invalid(at + ".role", at + ".role must be a string (system, user or assistant)");
      }
      if (!ROLES.contains(role.asText())) {
        throw ApiError.invalid(at + ".role", at + ".role '" + role.asText()
            + "' is not supported (supported: system, developer, user, assistant)");
      }
      String roleName = role.asText().equals("developer") ? "system" : role.asText();
      messages.add(new ChatMessage(roleName, content(message.get("content"), at + ".content", roleName)));
    }
    return messages;
  }

  private static String content(JsonNode content, String at, String role) {
    if (content == null || content.isNull()) {
      if (role.equals("assistant")) {
        return "";
      }
      throw ApiError.invalid(at, at + " is required");
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      throw ApiError.invalid(at, at + " must be a string or an array of text parts, got " + describe(content));
    }
    StringBuilder text = new StringBuilder();
    for (int j = 0; j < content.size(); j++) {
      JsonNode part = content.get(j);
      String partAt = at + "[" + j + "]";
      if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
        throw ApiError.invalid(partAt, partAt + " must be {\"type\": \"text\", \"text\": \"...\"} (only text parts"
            + " are supported)");
      }
      text.append(part.get("text").asText());
    }
    return text.toString();
  }

  private static String prompt(JsonNode root) {
    JsonNode node = root.get("prompt");
    if (node == null || node.isNull()) {
      throw ApiError.invalid("prompt", "prompt is required");
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
      return node.get(0).asText();
    }
    throw ApiError.invalid("prompt", "prompt must be a string (or an array of exactly one string), got "
        + describe(node));
  }

  private static List<String> stop(JsonNode root) {
    JsonNode node = root.get("stop");
    if (node == null || node.isNull()) {
      return null;
    }
    List<String> stops = new ArrayList<>();
    if (node.isTextual()) {
      stops.add(node.asText());
    } else if (node.isArray()) {
      if (node.size() > MAX_STOP) {
        throw ApiError.invalid("stop", "stop may hold at most " + MAX_STOP + " strings, got " + node.size());
      }
      for (int i = 0; i < node.size(); i++) {
        if (!node.get(i).isTextual()) {
          throw ApiError.invalid("stop", "stop[" + i + "] must be a string, got " + describe(node.get(i)));
        }
        stops.add(node.get(i).asText());
      }
    } else {
      throw ApiError.invalid("stop", "stop must be a string or an array of strings, got " + describe(node));
    }
    for (String s : stops) {
      if (s.isEmpty()) {
        throw ApiError.invalid("stop", "stop strings must not be empty");
      }
    }
    return stops;
  }

  private static JsonNode responseFormat(JsonNode root) {
    JsonNode node = root.get("response_format");
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isObject()) {
      throw ApiError.invalid("response_format", "response_format must be an object, got " + describe(node));
    }
    JsonNode type = node.get("type");
    if (type == null || !type.isTextual()) {
      throw ApiError.invalid("response_format.type", "response_format.type must be text, json_object or json_schema");
    }
    switch (type.asText()) {
      case "text":
        return null;
      case "json_object":
        return node;
      case "json_schema":
        JsonNode spec = node.get("json_schema");
        if (spec == null || !spec.isObject()) {
          throw ApiError.invalid("response_format.json_schema",
              "response_format.json_schema must be an object with a schema");
        }
        JsonNode schema = spec.get("schema");
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
          throw ApiError.invalid("response_format.json_schema.schema",
              "response_format.json_schema.schema must be a JSON Schema object");
        }
        return node;
      default:
        throw ApiError.invalid("response_format.type", "response_format.type '" + type.asText()
            + "' is not supported (supported: text, json_object, json_schema)");
    }
  }

  private static void optionalText(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node != null && !node.isNull() && !node.isTextual()) {
      throw ApiError.invalid(field, field + " must be a string, got " + describe(node));
    }
  }

  private static Integer positiveInt(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw ApiError.invalid(field, field + " must be an integer, got " + describe(node));
    }
    if (node.asInt() < 1) {
      throw ApiError.invalid(field, field + " must be at least 1, got " + node.asInt());
    }
    return node.asInt();
  }

  /** The field's value in [min, max], or null when absent. */
  private static Double optionalNumber(JsonNode root, String field, double min, double max) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber()) {
      throw ApiError.invalid(field, field + " must be a number, got " + describe(node));
    }
    double value = node.asDouble();
    if (!(value >= min && value <= max)) {
      throw ApiError.invalid(field, field + " must be between " + min + " and " + max + ", got " + node.asText());
    }
    return value;
  }

  private static boolean bool(JsonNode root, String field) {
    return bool(root, field, field);
  }

  private static boolean bool(JsonNode root, String field, String param) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw ApiError.invalid(param, param + " must be true or false, got " + describe(node));
    }
    return node.asBoolean();
  }

  private static String describe(JsonNode node) {
    String kind = node.isTextual() ? "a string" : node.isNumber() ? "a number" : node.isBoolean() ? "a boolean"
        : node.isArray() ? "an array" : node.isObject() ? "an object" : "null";
    String text = node.toString();
    return kind + " (" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + ")";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
