package dev.kamado.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * For many random schemas of the supported subset, a "model" that picks uniformly at random among the allowed
 * tokens always produces UTF-8 that parses as JSON and validates against the schema (checked by an independent
 * validator), within the token budget, tiny budgets included.
 */
class SchemaConstraintPropertyTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final ObjectMapper STRICT = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final JsonSchemaFactory ORACLE = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final String[] NAMES = {"name", "id", "status", "priority", "summary", "tags", "due", "owner",
    "優先度", "要約", "a\"b", "back\\slash", "tab\tkey", "x/y", "emoji😀", "count", "value", "items", "type"};
  private static final String[] STRINGS = {"high", "low", "medium", "高", "中", "低", "", "with \"quote\"",
    "line\nbreak", "😀", "東京都", "a", "ab", "abc"};

  private static TokenVocabulary vocab;

  @BeforeAll
  static void vocabulary() {
    vocab = TestVocabularies.vocabulary(6000, 7);
  }

  @Test
  void randomSchemasAlwaysProduceValidJsonWithinTheBudget() throws Exception {
    Random random = new Random(20261128);
    int schemas = 400;
    int generations = 0;
    for (int i = 0; i < schemas; i++) {
      JsonNode schema = randomSchema(random, 3, true);
      CompiledSchema compiled = SchemaCompiler.compile(schema);
      ConstrainedDecoder decoder = ConstrainedDecoder.of(compiled, vocab);
      JsonSchema oracle = ORACLE.getSchema(schema);
      int min = decoder.minTokensToComplete(decoder.start());
      int[] budgets = {min, min + 1, min + random.nextInt(8), min + 20 + random.nextInt(60), 400};
      for (int budget : budgets) {
        RandomWalk.Generation g = RandomWalk.generate(decoder, budget, new Random(random.nextLong()));
        check(schema, oracle, g, budget);
        generations++;
      }
    }
    assertThat(generations).isEqualTo(schemas * 5);
  }

  @Test
  void jsonObjectModeProducesObjects() throws Exception {
    ConstrainedDecoder decoder = ConstrainedDecoder.of(SchemaCompiler.jsonObject(), vocab);
    Random random = new Random(5);
    for (int i = 0; i < 100; i++) {
      int budget = decoder.minTokensToComplete(decoder.start()) + random.nextInt(200);
      RandomWalk.Generation g = RandomWalk.generate(decoder, budget, new Random(i));
      JsonNode parsed = parse(g);
      assertThat(parsed.isObject()).as(new String(g.bytes(), StandardCharsets.UTF_8)).isTrue();
      assertThat(g.tokens()).isLessThanOrEqualTo(budget);
    }
  }

  private static void check(JsonNode schema, JsonSchema oracle, RandomWalk.Generation g, int budget)
      throws Exception {
    String text = new String(g.bytes(), StandardCharsets.UTF_8);
    assertThat(g.complete()).as("complete: %s for %s", text, schema).isTrue();
    assertThat(g.tokens()).isLessThanOrEqualTo(budget);
    JsonNode parsed = parse(g);
    Set<ValidationMessage> errors = oracle.validate(parsed);
    assertThat(errors).as("%s against %s", text, schema).isEmpty();
  }

  static JsonNode parse(RandomWalk.Generation g) throws CharacterCodingException, java.io.IOException {
    String text = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(g.bytes())).toString();
    return STRICT.readTree(text);
  }

  /** A random schema of the supported subset; depth bounds nesting. */
  static JsonNode randomSchema(Random r, int depth, boolean root) {
    int kind = root ? 7 : r.nextInt(depth > 0 ? 11 : 7);
    ObjectNode s = F.objectNode();
    switch (kind) {
      case 0 -> { // string
        s.put("type", "string");
        int min = r.nextInt(3) == 0 ? r.nextInt(4) : 0;
        if (min > 0) {
          s.put("minLength", min);
        }
        if (r.nextBoolean()) {
          s.put("maxLength", min + r.nextInt(12));
        }
      }
      case 1 -> { // integer
        s.put("type", "integer");
        numberBounds(r, s, true);
      }
      case 2 -> { // number
        s.put("type", "number");
        numberBounds(r, s, false);
      }
      case 3 -> s.put("type", r.nextBoolean() ? "boolean" : "null");
      case 4 -> { // enum (sometimes typed, sometimes mixed types)
        ArrayNode e = s.putArray("enum");
        int n = 1 + r.nextInt(4);
        boolean typed = r.nextBoolean();
        for (int i = 0; i < n; i++) {
          if (typed || r.nextBoolean()) {
            e.add(STRINGS[r.nextInt(STRINGS.length)]);
          } else {
            switch (r.nextInt(4)) {
              case 0 -> e.add(r.nextInt(200) - 100);
              case 1 -> e.add(r.nextBoolean());
              case 2 -> e.addNull();
              default -> e.add(r.nextInt(1000) / 8.0);
            }
          }
        }
        if (typed) {
          s.put("type", "string");
        }
      }
      case 5 -> { // const
        if (r.nextBoolean()) {
          s.put("const", STRINGS[r.nextInt(STRINGS.length)]);
        } else {
          s.put("const", r.nextInt(50));
        }
      }
      case 6 -> { // type array with null
        ArrayNode t = s.putArray("type");
        String[] base = {"string", "integer", "number", "boolean"};
        t.add(base[r.nextInt(base.length)]);
        t.add("null");
        if (r.nextBoolean()) {
          s.put("maxLength", 5);
          s.put("minimum", 0);
        }
      }
      case 7, 8 -> { // object
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        int n = 1 + r.nextInt(root ? 6 : 4);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          String name = NAMES[r.nextInt(NAMES.length)];
          if (!names.contains(name)) {
            names.add(name);
            props.set(name, randomSchema(r, depth - 1, false));
          }
        }
        ArrayNode req = F.arrayNode();
        for (String name : names) {
          if (r.nextInt(3) != 0) {
            req.add(name);
          }
        }
        if (!req.isEmpty()) {
          s.set("required", req);
        }
        if (r.nextBoolean()) {
          s.put("additionalProperties", false);
        }
      }
      case 9 -> { // array
        s.put("type", "array");
        s.set("items", randomSchema(r, depth - 1, false));
        int min = r.nextInt(3) == 0 ? r.nextInt(3) : 0;
        if (min > 0) {
          s.put("minItems", min);
        }
        if (r.nextBoolean()) {
          s.put("maxItems", min + r.nextInt(4));
        }
      }
      default -> { // anyOf
        ArrayNode any = s.putArray("anyOf");
        int n = 2 + r.nextInt(2);
        for (int i = 0; i < n; i++) {
          any.add(randomSchema(r, depth - 1, false));
        }
      }
    }
    if (r.nextInt(5) == 0) {
      s.put("description", "an annotation");
    }
    return s;
  }

  private static void numberBounds(Random r, ObjectNode s, boolean integer) {
    double lo = integer ? r.nextInt(2000) - 1000 : (r.nextInt(20000) - 10000) / 100.0;
    double hi = lo + (integer ? r.nextInt(500) + 2 : r.nextInt(50000) / 100.0 + 0.02);
    switch (r.nextInt(6)) {
      case 0 -> {
      }
      case 1 -> s.put("minimum", lo);
      case 2 -> s.put("maximum", hi);
      case 3 -> {
        s.put("minimum", lo);
        s.put("maximum", hi);
      }
      case 4 -> {
        s.put("exclusiveMinimum", lo);
        s.put("exclusiveMaximum", hi);
      }
      default -> {
        s.put("minimum", 0);
        s.put("maximum", integer ? 10 : 1);
      }
    }
  }
}
