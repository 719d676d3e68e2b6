package dev.kamado.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Per construct: which compact JSON texts the compiled automaton accepts (fed byte by byte through a vocabulary of the
 * 256 single bytes) and which it refuses.
 */
class SchemaLanguageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TokenVocabulary BYTES = TestVocabularies.bytesOnly();

  /** Whether the schema's constraint accepts exactly this text as a complete output. */
  static boolean accepts(String schema, String text) {
    return accepts(compile(schema), text);
  }

  static boolean accepts(CompiledSchema schema, String text) {
    ConstrainedDecoder d = ConstrainedDecoder.of(schema, BYTES);
    ConstrainedDecoder.State s = d.start();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      try {
        s = d.advance(s, b & 0xFF);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return d.isComplete(s);
  }

  static CompiledSchema compile(String schema) {
    try {
      JsonNode node = JSON.readTree(schema);
      return SchemaCompiler.compile(node);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void objectPropertiesInDeclarationOrderOptionalOnesMayBeOmitted() {
    String s = """
        {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"boolean"},"c":{"type":"null"}},
         "required":["b"],"additionalProperties":false}""";
    assertThat(accepts(s, "{\"b\":true}")).isTrue();
    assertThat(accepts(s, "{\"a\":1,\"b\":false}")).isTrue();
    assertThat(accepts(s, "{\"a\":1,\"b\":false,\"c\":null}")).isTrue();
    assertThat(accepts(s, "{\"b\":true,\"c\":null}")).isTrue();
    assertThat(accepts(s, "{}")).as("required b missing").isFalse();
    assertThat(accepts(s, "{\"b\":true,\"a\":1}")).as("declaration order").isFalse();
    assertThat(accepts(s, "{\"b\": true}")).as("no free whitespace").isFalse();
    assertThat(accepts(s, "{\"b\":true,\"d\":1}")).as("no extra properties").isFalse();
    assertThat(accepts(s, "{,\"b\":true}")).isFalse();
  }

  @Test
  void propertyNamesAreEscapedAsJson() {
    String s = """
        {"type":"object","properties":{"a\\"b":{"type":"null"},"優先度":{"type":"null"}},"required":["a\\"b","優先度"]}""";
    assertThat(accepts(s, "{\"a\\\"b\":null,\"優先度\":null}")).isTrue();
  }

  @Test
  void objectWithoutPropertiesIsAnyObjectUnlessClosed() {
    assertThat(accepts("{\"type\":\"object\"}", "{\"x\":[1,{\"y\":\"z\"}],\"n\":null}")).isTrue();
    assertThat(accepts("{\"type\":\"object\",\"additionalProperties\":false}", "{}")).isTrue();
    assertThat(accepts("{\"type\":\"object\",\"additionalProperties\":false}", "{\"x\":1}")).isFalse();
  }

  @Test
  void stringLengthsCountCodePoints() {
    String s = "{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}";
    assertThat(accepts(s, "\"ab\"")).isTrue();
    assertThat(accepts(s, "\"東京都\"")).as("three 3-byte characters").isTrue();
    assertThat(accepts(s, "\"😀😀\"")).as("two 4-byte characters").isTrue();
    assertThat(accepts(s, "\"東京都庁\"")).isFalse();
    assertThat(accepts(s, "\"a\"")).isFalse();
    assertThat(accepts(s, "\"a\\n\"")).as("an escape is one character").isTrue();
    assertThat(accepts(s, "\"\\u00e9\\u3042\"")).isTrue();
  }

  @Test
  void stringsAllowEscapesButNoInvalidText() {
    String s = "{\"type\":\"string\"}";
    assertThat(accepts(s, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"")).isTrue();
    assertThat(accepts(s, "\"\\x\"")).as("unknown escape").isFalse();
    assertThat(accepts(s, "\"\\uD800\"")).as("lone surrogate escape").isFalse();
    assertThat(accepts(s, "\"a\nb\"")).as("raw control character").isFalse();
    assertThat(accepts(s, "\"\"")).isTrue();
    ConstrainedDecoder d = ConstrainedDecoder.of(compile(s), BYTES);
    ConstrainedDecoder.State st = d.advance(d.start(), '"');
    assertThat(d.isAllowed(st, 10, 0xC0)).as("overlong lead byte").isFalse();
    assertThat(d.isAllowed(st, 10, 0xF5)).as("beyond U+10FFFF").isFalse();
    assertThat(d.isAllowed(st, 10, 0x80)).as("continuation byte without lead").isFalse();
    ConstrainedDecoder.State ed = d.advance(st, 0xED);
    assertThat(d.isAllowed(ed, 10, 0xA0)).as("UTF-8 encoded surrogate").isFalse();
    assertThat(d.isAllowed(ed, 10, 0x9F)).isTrue();
  }

  @Test
  void stringEnumAndConst() {
    String e = "{\"type\":\"string\",\"enum\":[\"high\",\"higher\",\"低\"]}";
    assertThat(accepts(e, "\"high\"")).isTrue();
    assertThat(accepts(e, "\"higher\"")).isTrue();
    assertThat(accepts(e, "\"低\"")).isTrue();
    assertThat(accepts(e, "\"hig\"")).isFalse();
    assertThat(accepts("{\"const\":\"x\"}", "\"x\"")).isTrue();
    assertThat(accepts("{\"const\":\"x\"}", "\"y\"")).isFalse();
  }

  @Test
  void enumOfMixedTypesAndEnumFilteredByTheOtherKeywords() {
    String mixed = "{\"enum\":[1,\"a\",null,true,{\"k\":[1,2]},2.5]}";
    for (String ok : new String[] {"1", "\"a\"", "null", "true", "{\"k\":[1,2]}", "2.5"}) {
      assertThat(accepts(mixed, ok)).as(ok).isTrue();
    }
    assertThat(accepts(mixed, "false")).isFalse();
    String filtered = "{\"type\":\"string\",\"maxLength\":2,\"enum\":[\"ab\",\"abc\",3]}";
    assertThat(accepts(filtered, "\"ab\"")).isTrue();
    assertThat(accepts(filtered, "\"abc\"")).isFalse();
    assertThat(accepts(filtered, "3")).isFalse();
  }

  @Test
  void integerRanges() {
    String s = "{\"type\":\"integer\",\"minimum\":-15,\"maximum\":207}";
    for (int i = -30; i <= 300; i++) {
      assertThat(accepts(s, Integer.toString(i))).as("%d", i).isEqualTo(i >= -15 && i <= 207);
    }
    assertThat(accepts(s, "007")).as("leading zeros").isFalse();
    assertThat(accepts(s, "1.0")).as("integers have no fraction").isFalse();
    String ex = "{\"type\":\"integer\",\"exclusiveMinimum\":3,\"exclusiveMaximum\":10}";
    for (int i = 0; i < 15; i++) {
      assertThat(accepts(ex, Integer.toString(i))).as("%d", i).isEqualTo(i > 3 && i < 10);
    }
    assertThat(accepts("{\"type\":\"integer\",\"minimum\":1.5,\"maximum\":3.5}", "1")).isFalse();
    assertThat(accepts("{\"type\":\"integer\",\"minimum\":1.5,\"maximum\":3.5}", "2")).isTrue();
    assertThat(accepts("{\"type\":\"integer\",\"minimum\":1.5,\"maximum\":3.5}", "4")).isFalse();
  }

  @Test
  void unboundedIntegersHaveBoundedDigits() {
    String s = "{\"type\":\"integer\"}";
    assertThat(accepts(s, "-123456789012345")).isTrue();
    assertThat(accepts(s, "1234567890123456")).as("16 digits").isFalse();
    assertThat(accepts(s, "0")).isTrue();
    assertThat(accepts(s, "-0")).isFalse();
  }

  @Test
  void numberRangesWithFractions() {
    String s = "{\"type\":\"number\",\"minimum\":-1.25,\"maximum\":0.5}";
    assertThat(accepts(s, "-1.25")).isTrue();
    assertThat(accepts(s, "-1.250")).isTrue();
    assertThat(accepts(s, "-1.26")).isFalse();
    assertThat(accepts(s, "-1.2")).isTrue();
    assertThat(accepts(s, "0.5")).isTrue();
    assertThat(accepts(s, "0.50001")).isFalse();
    assertThat(accepts(s, "0")).isTrue();
    assertThat(accepts(s, "-0.000001")).isTrue();
    assertThat(accepts(s, "1")).isFalse();
    assertThat(accepts(s, "1e0")).as("no exponents").isFalse();
    String ex = "{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}";
    assertThat(accepts(ex, "0")).isFalse();
    assertThat(accepts(ex, "0.0")).isFalse();
    assertThat(accepts(ex, "0.000001")).isTrue();
    assertThat(accepts(ex, "0.999999")).isTrue();
    assertThat(accepts(ex, "1")).isFalse();
    assertThat(accepts(ex, "1.000")).isFalse();
    String draft4 = "{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true,\"maximum\":2}";
    assertThat(accepts(draft4, "0")).isFalse();
    assertThat(accepts(draft4, "2.0")).isTrue();
  }

  @Test
  void booleanNullAndTypeArrays() {
    assertThat(accepts("{\"type\":\"boolean\"}", "true")).isTrue();
    assertThat(accepts("{\"type\":\"boolean\"}", "false")).isTrue();
    assertThat(accepts("{\"type\":\"boolean\"}", "null")).isFalse();
    assertThat(accepts("{\"type\":\"null\"}", "null")).isTrue();
    String sn = "{\"type\":[\"string\",\"null\"],\"maxLength\":1}";
    assertThat(accepts(sn, "null")).isTrue();
    assertThat(accepts(sn, "\"a\"")).isTrue();
    assertThat(accepts(sn, "\"ab\"")).isFalse();
    assertThat(accepts(sn, "1")).isFalse();
  }

  @Test
  void arraysCountItems() {
    String s = "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},"
        + "\"minItems\":1,\"maxItems\":3}";
    assertThat(accepts(s, "[]")).isFalse();
    assertThat(accepts(s, "[1]")).isTrue();
    assertThat(accepts(s, "[1,2,3]")).isTrue();
    assertThat(accepts(s, "[1,2,3,4]")).isFalse();
    assertThat(accepts(s, "[1,]")).isFalse();
    assertThat(accepts(s, "[10]")).isFalse();
    String unbounded = "{\"type\":\"array\",\"items\":{\"type\":\"null\"},\"minItems\":2}";
    assertThat(accepts(unbounded, "[null]")).isFalse();
    assertThat(accepts(unbounded, "[null,null,null,null,null,null]")).isTrue();
    assertThat(accepts("{\"type\":\"array\"}", "[1,\"a\",[true],{}]")).isTrue();
  }

  @Test
  void nestedObjectsAndAnyOf() {
    String s = """
        {"type":"object","properties":{"who":{"anyOf":[
          {"type":"object","properties":{"name":{"type":"string"}},"required":["name"]},
          {"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]},
          {"type":"null"}]}},"required":["who"]}""";
    assertThat(accepts(s, "{\"who\":{\"name\":\"x\"}}")).isTrue();
    assertThat(accepts(s, "{\"who\":{\"id\":7}}")).isTrue();
    assertThat(accepts(s, "{\"who\":null}")).isTrue();
    assertThat(accepts(s, "{\"who\":{}}")).isFalse();
    assertThat(accepts(s, "{\"who\":{\"name\":7}}")).isFalse();
  }

  @Test
  void emptySchemaAndJsonObjectMode() {
    assertThat(accepts("{}", "[1,{\"a\":null}]")).isTrue();
    assertThat(accepts("{}", "\"text\"")).isTrue();
    assertThat(accepts("true", "12.5")).isTrue();
    CompiledSchema obj = SchemaCompiler.jsonObject();
    assertThat(accepts(obj, "{\"a\":{\"b\":[1,2,{\"c\":\"日本\"}]},\"d\":-0.5}")).isTrue();
    assertThat(accepts(obj, "[]")).isFalse();
    assertThat(accepts(obj, "{\"a\":1} ")).isFalse();
    assertThat(accepts(obj, "{\"a\":[[[[[[1]]]]]]}")).as("nesting beyond 5 levels").isFalse();
    assertThat(accepts(obj, "{\"a\":[[[[1]]]]}")).isTrue();
  }

  @Test
  void annotationsAreIgnoredAndCompiledSchemasAreCached() {
    String s = "{\"title\":\"t\",\"description\":\"d\",\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
        + "\"examples\":[1],\"default\":1,\"type\":\"integer\",\"minimum\":0,\"maximum\":3}";
    assertThat(accepts(s, "2")).isTrue();
    assertThat(compile(s)).isSameAs(compile(s));
  }
}
