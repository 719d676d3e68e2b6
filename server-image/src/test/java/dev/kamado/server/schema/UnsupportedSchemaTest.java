package dev.kamado.server.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every unsupported keyword, and every invalid value of a supported one, is refused with its JSON pointer. */
class UnsupportedSchemaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static UnsupportedSchemaException refusal(String schema) {
    try {
      SchemaCompiler.compile(JSON.readTree(schema));
    } catch (UnsupportedSchemaException e) {
      return e;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
    throw new AssertionError("accepted: " + schema);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pattern", "format", "$ref", "oneOf", "allOf", "not", "patternProperties", "minProperties",
      "maxProperties", "uniqueItems", "multipleOf", "prefixItems", "contains", "$defs", "definitions", "if", "then",
      "else", "dependentRequired", "dependentSchemas", "propertyNames", "unevaluatedProperties", "contentEncoding",
      "nullable"})
  void unsupportedKeywordIsNamedWithItsPointer(String keyword) {
    String schema = "{\"type\":\"object\",\"properties\":{\"a/b\":{\"type\":\"object\",\"properties\":{\"x\":"
        + "{\"type\":\"string\",\"" + keyword + "\":\"v\"}}}}}";
    UnsupportedSchemaException e = refusal(schema);
    assertThat(e.keyword()).isEqualTo(keyword);
    String pointer = "/properties/a~1b/properties/x/" + keyword;
    assertThat(e.pointer()).isEqualTo(pointer);
    assertThat(e.getMessage()).startsWith("unsupported JSON Schema keyword \"" + keyword + "\" at " + pointer);
  }

  @Test
  void unsupportedKeywordInsideAnyOfAndItems() {
    assertThat(refusal("{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"string\",\"format\":\"date\"}]}").pointer())
        .isEqualTo("/anyOf/1/format");
    assertThat(refusal("{\"type\":\"array\",\"items\":{\"oneOf\":[]}}").pointer()).isEqualTo("/items/oneOf");
    assertThat(refusal("{\"$ref\":\"#/x\"}").pointer()).isEqualTo("/$ref");
  }

  @Test
  void invalidValuesAreExplained() {
    assertThat(refusal("{\"type\":\"string\",\"minLength\":3,\"maxLength\":2}").getMessage())
        .isEqualTo("invalid JSON Schema at /minLength: minLength 3 exceeds maxLength 2");
    assertThat(refusal("{\"type\":\"text\"}").getMessage()).contains("/type").contains("unknown type \"text\"");
    assertThat(refusal("{\"enum\":[]}").pointer()).isEqualTo("/enum");
    assertThat(refusal("{\"type\":\"integer\",\"enum\":[\"a\"]}").getMessage())
        .contains("no enum value satisfies the other keywords");
    assertThat(refusal("{\"type\":\"object\",\"required\":[\"x\"]}").getMessage())
        .contains("required property \"x\" is not declared in properties");
    assertThat(refusal("{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}").pointer()).isEqualTo("/minimum");
    assertThat(refusal("{\"type\":\"integer\",\"minimum\":\"5\"}").getMessage()).contains("must be a number");
    assertThat(refusal("{\"type\":\"integer\",\"exclusiveMinimum\":1,\"exclusiveMaximum\":2}").getMessage())
        .contains("admits no value");
    assertThat(refusal("{\"type\":\"array\",\"minItems\":-1}").pointer()).isEqualTo("/minItems");
    assertThat(refusal("{\"type\":\"array\",\"items\":[{}]}").getMessage()).contains("tuple form");
    assertThat(refusal("{\"anyOf\":[{\"type\":\"null\"}],\"type\":\"string\"}").getMessage())
        .contains("next to anyOf");
    assertThat(refusal("{\"properties\":{\"a\":false},\"required\":[\"a\"]}").getMessage())
        .contains("/properties/a is false");
    assertThat(refusal("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":2000},"
        + "\"maxItems\":2000}").getMessage()).startsWith("schema too large to compile");
  }
}
