package dev.kamado.server.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * The numeric bounds of one schema: minimum/maximum and exclusiveMinimum/exclusiveMaximum, in both the numeric form
 * (draft 6 and later) and the boolean form (draft 4). Null bound = unbounded.
 */
record NumberBounds(BigDecimal min, boolean minExclusive, BigDecimal max, boolean maxExclusive, String minKeyword) {

  static NumberBounds of(JsonNode node, String ptr) {
    BigDecimal min = number(node, ptr, "minimum");
    BigDecimal max = number(node, ptr, "maximum");
    boolean minEx = false;
    boolean maxEx = false;
    String minKeyword = "minimum";
    JsonNode exMin = node.get("exclusiveMinimum");
    if (exMin != null) {
      if (exMin.isBoolean()) {
        minEx = exMin.booleanValue() && min != null;
      } else {
        BigDecimal v = number(node, ptr, "exclusiveMinimum");
        if (min == null || v.compareTo(min) >= 0) {
          min = v;
          minEx = true;
          minKeyword = "exclusiveMinimum";
        }
      }
    }
    JsonNode exMax = node.get("exclusiveMaximum");
    if (exMax != null) {
      if (exMax.isBoolean()) {
        maxEx = exMax.booleanValue() && max != null;
      } else {
        BigDecimal v = number(node, ptr, "exclusiveMaximum");
        if (max == null || v.compareTo(max) <= 0) {
          max = v;
          maxEx = true;
        }
      }
    }
    return new NumberBounds(min, minEx, max, maxEx, minKeyword);
  }

  private static BigDecimal number(JsonNode node, String ptr, String key) {
    JsonNode v = node.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isNumber()) {
      throw UnsupportedSchemaException.invalid(key, ptr, "must be a number");
    }
    BigDecimal d = v.decimalValue();
    if (d.abs().compareTo(new BigDecimal("1e30")) > 0) {
      throw UnsupportedSchemaException.invalid(key, ptr, "bounds beyond 1e30 are not supported");
    }
    return d;
  }

  boolean admits(BigDecimal v) {
    if (min != null) {
      int c = v.compareTo(min);
      if (c < 0 || (c == 0 && minExclusive)) {
        return false;
      }
    }
    if (max != null) {
      int c = v.compareTo(max);
      return c < 0 || (c == 0 && !maxExclusive);
    }
    return true;
  }
}
