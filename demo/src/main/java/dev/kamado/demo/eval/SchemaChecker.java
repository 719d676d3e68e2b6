package dev.kamado.demo.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates JSON values against a JSON Schema of the subset the triage schema uses: {@code type} (one or a list),
 * {@code enum}, {@code const}, {@code minLength}/{@code maxLength} (in code points), {@code pattern},
 * {@code properties}, {@code required}, {@code additionalProperties} (boolean or schema), {@code items},
 * {@code minItems}/{@code maxItems}, {@code uniqueItems}, {@code anyOf}. Annotations ({@code title},
 * {@code description}, {@code $schema}, {@code format}) are ignored; any other keyword is refused when the checker is
 * built, so a schema is never half-checked.
 */
public final class SchemaChecker {
  private static final Set<String> KNOWN = Set.of("type", "enum", "const", "minLength", "maxLength", "pattern",
      "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "uniqueItems", "anyOf",
      "title", "description", "$schema", "$id", "format", "default", "examples");

  private final JsonNode schema;

  public SchemaChecker(JsonNode schema) {
    requireKnownKeywords(schema, "");
    this.schema = schema;
  }

  /** Violations of the schema by {@code value}, each as "JSON pointer: reason"; empty when it is valid. */
  public List<String> violations(JsonNode value) {
    List<String> out = new ArrayList<>();
    check(schema, value, "", out);
    return out;
  }

  private static void requireKnownKeywords(JsonNode schema, String at) {
    if (!schema.isObject()) {
      throw new IllegalArgumentException("schema at '" + at + "' is not an object");
    }
    for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KNOWN.contains(k)) {
        throw new IllegalArgumentException("schema keyword '" + k + "' at '" + at + "' is not supported");
      }
    }
    if (schema.has("properties")) {
      schema.get("properties").fields()
          .forEachRemaining(e -> requireKnownKeywords(e.getValue(), at + "/properties/" + e.getKey()));
    }
    if (schema.has("items")) {
      requireKnownKeywords(schema.get("items"), at + "/items");
    }
    if (schema.has("additionalProperties") && schema.get("additionalProperties").isObject()) {
      requireKnownKeywords(schema.get("additionalProperties"), at + "/additionalProperties");
    }
    if (schema.has("anyOf")) {
      for (int i = 0; i < schema.get("anyOf").size(); i++) {
        requireKnownKeywords(schema.get("anyOf").get(i), at + "/anyOf/" + i);
      }
    }
  }

  private void check(JsonNode s, JsonNode v, String at, List<String> out) {
    String where = at.isEmpty() ? "/" : at;
    if (s.has("type") && !typeMatches(s.get("type"), v)) {
      out.add(where + ": expected " + s.get("type") + " but got " + typeName(v));
      return;
    }
    if (s.has("const") && !s.get("const").equals(v)) {
      out.add(where + ": must equal " + s.get("const"));
    }
    if (s.has("enum")) {
      boolean found = false;
      for (JsonNode e : s.get("enum")) {
        found |= e.equals(v);
      }
      if (!found) {
        out.add(where + ": " + v + " is not one of " + s.get("enum"));
      }
    }
    if (v.isTextual()) {
      int length = v.asText().codePointCount(0, v.asText().length());
      if (s.has("minLength") && length < s.get("minLength").asInt()) {
        out.add(where + ": shorter than " + s.get("minLength").asInt() + " characters");
      }
      if (s.has("maxLength") && length > s.get("maxLength").asInt()) {
        out.add(where + ": longer than " + s.get("maxLength").asInt() + " characters");
      }
      if (s.has("pattern") && !Pattern.compile(s.get("pattern").asText()).matcher(v.asText()).find()) {
        out.add(where + ": does not match " + s.get("pattern").asText());
      }
    }
    if (v.isObject()) {
      JsonNode props = s.path("properties");
      for (JsonNode r : s.path("required")) {
        if (!v.has(r.asText())) {
          out.add(where + ": missing required property '" + r.asText() + "'");
        }
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String child = at + "/" + e.getKey();
        if (props.has(e.getKey())) {
          check(props.get(e.getKey()), e.getValue(), child, out);
        } else if (s.has("additionalProperties")) {
          JsonNode extra = s.get("additionalProperties");
          if (extra.isBoolean() && !extra.asBoolean()) {
            out.add(child + ": property not allowed");
          } else if (extra.isObject()) {
            check(extra, e.getValue(), child, out);
          }
        }
      }
    }
    if (v.isArray()) {
      if (s.has("minItems") && v.size() < s.get("minItems").asInt()) {
        out.add(where + ": fewer than " + s.get("minItems").asInt() + " items");
      }
      if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) {
        out.add(where + ": more than " + s.get("maxItems").asInt() + " items");
      }
      if (s.path("uniqueItems").asBoolean(false)) {
        Set<JsonNode> seen = new HashSet<>();
        for (JsonNode item : v) {
          if (!seen.add(item)) {
            out.add(where + ": duplicate item " + item);
          }
        }
      }
      if (s.has("items")) {
        for (int i = 0; i < v.size(); i++) {
          check(s.get("items"), v.get(i), at + "/" + i, out);
        }
      }
    }
    if (s.has("anyOf")) {
      boolean any = false;
      for (JsonNode option : s.get("anyOf")) {
        List<String> sub = new ArrayList<>();
        check(option, v, at, sub);
        any |= sub.isEmpty();
      }
      if (!any) {
        out.add(where + ": matches none of the anyOf alternatives");
      }
    }
  }

  private static boolean typeMatches(JsonNode type, JsonNode v) {
    if (type.isArray()) {
      for (JsonNode t : type) {
        if (typeMatches(t, v)) {
          return true;
        }
      }
      return false;
    }
    return switch (type.asText()) {
      case "string" -> v.isTextual();
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "null" -> v.isNull();
      case "boolean" -> v.isBoolean();
      case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()));
      case "number" -> v.isNumber();
      default -> throw new IllegalArgumentException("unknown JSON Schema type '" + type.asText() + "'");
    };
  }

  private static String typeName(JsonNode v) {
    return switch (v.getNodeType()) {
      case STRING -> "string";
      case OBJECT -> "object";
      case ARRAY -> "array";
      case NULL -> "null";
      case BOOLEAN -> "boolean";
      case NUMBER -> "number";
      default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
