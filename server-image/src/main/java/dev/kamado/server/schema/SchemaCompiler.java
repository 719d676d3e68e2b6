package dev.kamado.server.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles the supported subset of JSON Schema (see SCHEMA.md) to a {@link CompiledSchema}: a byte automaton that
 * accepts exactly the compact JSON texts (no insignificant whitespace, properties in declaration order) that Kamado
 * generates for the schema. Any other keyword is rejected with an {@link UnsupportedSchemaException} naming the keyword
 * and its JSON pointer. Compiled schemas are cached by their compact JSON text; this class is thread-safe.
 */
public final class SchemaCompiler {
  /** Keywords that constrain output and are compiled. */
  static final Set<String> SUPPORTED = Set.of("type", "enum", "const", "properties", "required",
      "additionalProperties", "items", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
      "exclusiveMinimum", "exclusiveMaximum", "anyOf");
  /** Pure annotations, ignored. */
  static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "examples",
      "default", "deprecated", "readOnly", "writeOnly");
  static final String SUPPORTED_KEYWORDS_TEXT = "type, enum, const, properties, required, additionalProperties, "
      + "items, minItems, maxItems, minLength, maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, "
      + "anyOf";

  /** Largest automaton a schema may compile to. */
  static final int MAX_STATES = 2_000_000;
  /** Nesting depth of free-form JSON ({@code {}} schemas, untyped objects, json_object mode). */
  static final int FREE_FORM_DEPTH = 5;
  /** Digits of the integer part of a number without an upper bound. */
  static final int MAX_INTEGER_DIGITS = 15;
  /** Fraction digits of a number (more when a bound needs them). */
  static final int DEFAULT_FRACTION_DIGITS = 6;
  private static final int CACHE_SIZE = 512;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<String, CompiledSchema> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CompiledSchema> eldest) {
      return size() > CACHE_SIZE;
    }
  };
  private static volatile CompiledSchema jsonObject;

  private final NfaBuilder b = new NfaBuilder(MAX_STATES);

  private SchemaCompiler() {
  }

  /**
   * Compiles {@code schema} (a JSON Schema object or boolean), using the cache.
   *
   * @throws UnsupportedSchemaException naming the keyword and JSON pointer of anything not supported
   */
  public static CompiledSchema compile(JsonNode schema) {
    String key = canonical(schema);
    synchronized (CACHE) {
      CompiledSchema cached = CACHE.get(key);
      if (cached != null) {
        return cached;
      }
    }
    CompiledSchema compiled = new SchemaCompiler().compileRoot(schema, key);
    synchronized (CACHE) {
      CACHE.put(key, compiled);
    }
    return compiled;
  }

  /** The constraint of OpenAI's {@code {"type":"json_object"}} mode: any JSON object (nesting depth at most 5). */
  public static CompiledSchema jsonObject() {
    CompiledSchema s = jsonObject;
    if (s == null) {
      SchemaCompiler c = new SchemaCompiler();
      int entry = c.b.newState();
      int exit = c.b.newState();
      c.freeObject(entry, exit, FREE_FORM_DEPTH - 1);
      s = new CompiledSchema("{\"type\":\"json_object\"}", c.b.build(entry, exit));
      jsonObject = s;
    }
    return s;
  }

  private static String canonical(JsonNode schema) {
    try {
      return MAPPER.writeValueAsString(schema);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JsonNode", e);
    }
  }

  private CompiledSchema compileRoot(JsonNode schema, String key) {
    int entry = b.newState();
    int exit = b.newState();
    build(schema, "", entry, exit);
    ByteNfa nfa = b.build(entry, exit);
    CompiledSchema compiled = new CompiledSchema(key, nfa);
    if (compiled.minimumOutputBytes() >= ByteNfa.UNREACHABLE) {
      throw new UnsupportedSchemaException("", "", "schema admits no value that can be generated");
    }
    return compiled;
  }

  // ---------------------------------------------------------------- dispatch

  private void build(JsonNode node, String ptr, int entry, int exit) {
    if (node.isBoolean()) {
      if (!node.booleanValue()) {
        throw new UnsupportedSchemaException("", ptr, "schema at " + pointerText(ptr) + " is false and admits no value");
      }
      anyValue(entry, exit, FREE_FORM_DEPTH);
      return;
    }
    if (!node.isObject()) {
      throw new UnsupportedSchemaException("", ptr, "schema at " + pointerText(ptr) + " must be an object or a boolean");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!SUPPORTED.contains(k) && !ANNOTATIONS.contains(k)) {
        throw UnsupportedSchemaException.unsupportedKeyword(k, ptr);
      }
    }
    if (node.has("anyOf")) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (SUPPORTED.contains(k) && !k.equals("anyOf")) {
          throw new UnsupportedSchemaException(k, ptr + "/" + UnsupportedSchemaException.escape(k),
              "keyword \"" + k + "\" next to anyOf at " + pointerText(ptr)
                  + " is not supported: move it into each anyOf branch");
        }
      }
      JsonNode branches = node.get("anyOf");
      if (!branches.isArray() || branches.isEmpty()) {
        throw UnsupportedSchemaException.invalid("anyOf", ptr, "must be a non-empty array of schemas");
      }
      for (int i = 0; i < branches.size(); i++) {
        int s = b.newState();
        b.epsilon(entry, s);
        build(branches.get(i), ptr + "/anyOf/" + i, s, exit);
      }
      return;
    }
    List<String> types = types(node, ptr);
    if (node.has("enum") || node.has("const")) {
      literals(node, ptr, types, entry, exit);
      return;
    }
    if (types.isEmpty()) {
      String inferred = inferType(node);
      if (inferred == null) {
        anyValue(entry, exit, FREE_FORM_DEPTH);
        return;
      }
      types = List.of(inferred);
    }
    for (String type : types) {
      int s = entry;
      if (types.size() > 1) {
        s = b.newState();
        b.epsilon(entry, s);
      }
      switch (type) {
        case "null" -> literal(s, exit, "null");
        case "boolean" -> {
          literal(s, exit, "true");
          literal(s, exit, "false");
        }
        case "string" -> string(node, ptr, s, exit);
        case "integer" -> number(node, ptr, s, exit, true);
        case "number" -> number(node, ptr, s, exit, false);
        case "object" -> object(node, ptr, s, exit);
        case "array" -> array(node, ptr, s, exit);
        default -> throw new IllegalStateException(type);
      }
    }
  }

  private static String pointerText(String ptr) {
    return ptr.isEmpty() ? "the root" : ptr;
  }

  private static List<String> types(JsonNode node, String ptr) {
    JsonNode t = node.get("type");
    List<String> types = new ArrayList<>();
    if (t == null) {
      return types;
    }
    Set<String> known = Set.of("null", "boolean", "string", "integer", "number", "object", "array");
    if (t.isTextual()) {
      types.add(t.textValue());
    } else if (t.isArray() && !t.isEmpty()) {
      for (JsonNode e : t) {
        if (!e.isTextual()) {
          throw UnsupportedSchemaException.invalid("type", ptr, "type array entries must be strings");
        }
        if (!types.contains(e.textValue())) {
          types.add(e.textValue());
        }
      }
    } else {
      throw UnsupportedSchemaException.invalid("type", ptr, "must be a type name or a non-empty array of them");
    }
    for (String s : types) {
      if (!known.contains(s)) {
        throw UnsupportedSchemaException.invalid("type", ptr, "unknown type \"" + s + "\" (expected one of "
            + "null, boolean, string, integer, number, object, array)");
      }
    }
    if (types.contains("integer") && types.contains("number")) {
      types.remove("integer");
    }
    return types;
  }

  private static String inferType(JsonNode node) {
    if (node.has("properties") || node.has("required") || node.has("additionalProperties")) {
      return "object";
    }
    if (node.has("items") || node.has("minItems") || node.has("maxItems")) {
      return "array";
    }
    if (node.has("minLength") || node.has("maxLength")) {
      return "string";
    }
    if (node.has("minimum") || node.has("maximum") || node.has("exclusiveMinimum") || node.has("exclusiveMaximum")) {
      return "number";
    }
    return null;
  }

  // ---------------------------------------------------------------- enum / const

  private void literals(JsonNode node, String ptr, List<String> types, int entry, int exit) {
    List<JsonNode> values = new ArrayList<>();
    String keyword;
    if (node.has("const")) {
      keyword = "const";
      values.add(node.get("const"));
      if (node.has("enum") && !containsEqual(node.get("enum"), node.get("const"))) {
        values.clear();
      }
    } else {
      keyword = "enum";
      JsonNode e = node.get("enum");
      if (!e.isArray() || e.isEmpty()) {
        throw UnsupportedSchemaException.invalid("enum", ptr, "must be a non-empty array");
      }
      e.forEach(values::add);
    }
    Map<Long, Integer> trie = new HashMap<>();
    Set<Integer> ends = new HashSet<>();
    for (JsonNode v : values) {
      if (!admits(node, ptr, types, v)) {
        continue;
      }
      byte[] bytes = canonical(v).getBytes(StandardCharsets.UTF_8);
      int s = entry;
      for (byte x : bytes) {
        long k = ((long) s << 8) | (x & 0xFF);
        Integer t = trie.get(k);
        if (t == null) {
          t = b.newState();
          trie.put(k, t);
          b.edge(s, x & 0xFF, t);
        }
        s = t;
      }
      if (ends.add(s)) {
        b.epsilon(s, exit);
      }
    }
    if (ends.isEmpty()) {
      throw UnsupportedSchemaException.invalid(keyword, ptr, "no " + keyword
          + " value satisfies the other keywords of this schema");
    }
  }

  private static boolean containsEqual(JsonNode array, JsonNode value) {
    if (array.isArray()) {
      for (JsonNode e : array) {
        if (jsonEquals(e, value)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean jsonEquals(JsonNode a, JsonNode c) {
    if (a.isNumber() && c.isNumber()) {
      return a.decimalValue().compareTo(c.decimalValue()) == 0;
    }
    return a.equals(c);
  }

  /** Whether an enum/const value also satisfies the type and scalar keywords next to it. */
  private static boolean admits(JsonNode node, String ptr, List<String> types, JsonNode v) {
    if (!types.isEmpty()) {
      boolean ok = false;
      for (String t : types) {
        ok |= switch (t) {
          case "null" -> v.isNull();
          case "boolean" -> v.isBoolean();
          case "string" -> v.isTextual();
          case "integer" -> v.isNumber() && isIntegral(v.decimalValue());
          case "number" -> v.isNumber();
          case "object" -> v.isObject();
          case "array" -> v.isArray();
          default -> false;
        };
      }
      if (!ok) {
        return false;
      }
    }
    if (v.isTextual()) {
      int len = v.textValue().codePointCount(0, v.textValue().length());
      int[] bounds = lengthBounds(node, ptr, "minLength", "maxLength");
      return len >= bounds[0] && (bounds[1] < 0 || len <= bounds[1]);
    }
    if (v.isNumber()) {
      NumberBounds nb = NumberBounds.of(node, ptr);
      return nb.admits(v.decimalValue());
    }
    return true;
  }

  private static boolean isIntegral(BigDecimal d) {
    return d.signum() == 0 || d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0;
  }

  private void literal(int entry, int exit, String text) {
    int end = b.literal(entry, text.getBytes(StandardCharsets.UTF_8));
    b.epsilon(end, exit);
  }

  // ---------------------------------------------------------------- strings

  private static int[] lengthBounds(JsonNode node, String ptr, String minKey, String maxKey) {
    int min = nonNegativeInt(node, ptr, minKey, 0);
    int max = nonNegativeInt(node, ptr, maxKey, -1);
    return new int[] {min, max};
  }

  private static int nonNegativeInt(JsonNode node, String ptr, String key, int absent) {
    JsonNode v = node.get(key);
    if (v == null) {
      return absent;
    }
    if (!v.isNumber() || !isIntegral(v.decimalValue()) || v.decimalValue().signum() < 0
        || v.decimalValue().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
      throw UnsupportedSchemaException.invalid(key, ptr, "must be a non-negative integer");
    }
    return v.decimalValue().intValue();
  }

  private void string(JsonNode node, String ptr, int entry, int exit) {
    int[] bounds = lengthBounds(node, ptr, "minLength", "maxLength");
    int min = bounds[0];
    int max = bounds[1];
    if (max >= 0 && min > max) {
      throw UnsupportedSchemaException.invalid("minLength", ptr, "minLength " + min + " exceeds maxLength " + max);
    }
    freeString(entry, exit, min, max);
  }

  /** A JSON string of {@code min..max} code points (max -1 = unbounded): any Unicode text, escapes included. */
  private void freeString(int entry, int exit, int min, int max) {
    boolean bounded = max >= 0;
    int maxCount = bounded ? max : min;
    int subs = StringSyntax.SUBSTATES;
    if ((long) (maxCount + 1) * subs > MAX_STATES) {
      throw new UnsupportedSchemaException("maxLength", "", "schema too large to compile: a string length bound of "
          + maxCount + " characters");
    }
    int base = b.stringBlock(maxCount, subs, min, max);
    b.edge(entry, '"', base);
    for (int c = 0; c <= maxCount; c++) {
      int at = base + c * subs;
      boolean canStart = !bounded || c < max;
      int next = base + (bounded ? c + 1 : Math.min(c + 1, min)) * subs;
      for (int sub = 0; sub < subs; sub++) {
        int runStart = 0;
        int runTarget = target(sub, 0, at, next, exit, canStart, c >= min);
        for (int x = 1; x <= 256; x++) { // one edge per run of bytes with the same target
          int t = x < 256 ? target(sub, x, at, next, exit, canStart, c >= min) : -2;
          if (t != runTarget) {
            if (runTarget >= 0) {
              b.edge(at + sub, runStart, x - 1, runTarget);
            }
            runStart = x;
            runTarget = t;
          }
        }
      }
    }
  }

  /** NFA target of byte {@code x} in sub-state {@code sub} of the string states at {@code at}; -1 when none. */
  private static int target(int sub, int x, int at, int next, int exit, boolean canStart, boolean canClose) {
    int r = StringSyntax.step(sub, x);
    if (r == StringSyntax.DEAD) {
      return -1;
    }
    if (r == StringSyntax.CLOSE) {
      return canClose ? exit : -1;
    }
    if ((r & StringSyntax.STARTS_CHAR) != 0) {
      return canStart ? next + (r & 0xFF) : -1;
    }
    return at + r;
  }

  // ---------------------------------------------------------------- numbers

  private void number(JsonNode node, String ptr, int entry, int exit, boolean integer) {
    NumberBounds nb = NumberBounds.of(node, ptr);
    BigDecimal min = nb.min();
    BigDecimal max = nb.max();
    if (min != null && max != null) {
      int cmp = min.compareTo(max);
      if (cmp > 0 || (cmp == 0 && (nb.minExclusive() || nb.maxExclusive()))) {
        throw UnsupportedSchemaException.invalid(nb.minKeyword(), ptr, "the range of numbers is empty");
      }
    }
    // non-negative values
    if (max == null || max.signum() > 0 || (max.signum() == 0 && !nb.maxExclusive())) {
      boolean minBelowZero = min == null || min.signum() < 0;
      new Magnitude(integer, minBelowZero ? BigDecimal.ZERO : min, !minBelowZero && nb.minExclusive(),
          max, nb.maxExclusive()).build(entry, exit);
    }
    // negative values: "-" followed by the magnitude
    if (min == null || min.signum() < 0) {
      int s = b.newState();
      b.edge(entry, '-', s);
      boolean maxBelowZero = max != null && max.signum() < 0;
      new Magnitude(integer, maxBelowZero ? max.negate() : BigDecimal.ZERO, !maxBelowZero || nb.maxExclusive(),
          min == null ? null : min.negate(), nb.minExclusive()).build(s, exit);
    }
  }

  /**
   * The decimal digits (no sign, no exponent) of magnitudes x with lo <= x <= hi (strict where exclusive; hi null =
   * at most {@link #MAX_INTEGER_DIGITS} integer digits), built digit by digit with "still equal to the bound" flags.
   */
  private final class Magnitude {
    private final boolean integer;
    private final BigDecimal lo;
    private final boolean loExclusive;
    private final BigDecimal hi;
    private final boolean hiExclusive;
    private final String loInt;
    private final String loFrac;
    private final String hiInt;
    private final String hiFrac;
    private final int fractionDigits;
    private final Map<Long, Integer> states = new HashMap<>();
    private int exit;

    Magnitude(boolean integer, BigDecimal lo, boolean loExclusive, BigDecimal hi, boolean hiExclusive) {
      this.integer = integer;
      this.lo = lo;
      this.loExclusive = loExclusive;
      this.hi = hi;
      this.hiExclusive = hiExclusive;
      String[] l = digits(lo);
      String[] h = hi == null ? new String[] {"", ""} : digits(hi);
      loInt = l[0];
      loFrac = l[1];
      hiInt = h[0];
      hiFrac = h[1];
      fractionDigits = integer ? 0 : Math.min(30, Math.max(DEFAULT_FRACTION_DIGITS,
          Math.max(loFrac.length(), hiFrac.length()) + 1));
    }

    private static String[] digits(BigDecimal v) {
      String plain = v.stripTrailingZeros().toPlainString();
      int dot = plain.indexOf('.');
      return dot < 0 ? new String[] {plain, ""} : new String[] {plain.substring(0, dot), plain.substring(dot + 1)};
    }

    void build(int entry, int exit) {
      this.exit = exit;
      int minLen = loInt.length();
      int maxLen = hi == null ? Math.max(MAX_INTEGER_DIGITS, minLen) : hiInt.length();
      for (int len = minLen; len <= maxLen; len++) {
        boolean tl = len == loInt.length();
        boolean th = hi != null && len == hiInt.length();
        b.epsilon(entry, intState(len, 0, tl, th));
      }
    }

    private int intState(int len, int pos, boolean tl, boolean th) {
      long key = ((long) len << 40) | ((long) pos << 8) | (tl ? 2 : 0) | (th ? 1 : 0);
      Integer known = states.get(key);
      if (known != null) {
        return known;
      }
      int s = b.newState();
      states.put(key, s);
      if (pos == len) {
        if (canStop(tl, th, 0)) {
          b.epsilon(s, exit);
        }
        if (!integer) {
          b.edge(s, '.', fracState(0, tl, th));
        }
        return s;
      }
      int loD = tl ? loInt.charAt(pos) - '0' : 0;
      int hiD = th ? hiInt.charAt(pos) - '0' : 9;
      for (int d = (pos == 0 && len > 1) ? Math.max(1, loD) : loD; d <= hiD; d++) {
        b.edge(s, '0' + d, intState(len, pos + 1, tl && d == loD, th && d == hiD));
      }
      return s;
    }

    /** State before fraction digit {@code q}; may stop when q > 0. */
    private int fracState(int q, boolean tl, boolean th) {
      long key = (1L << 62) | ((long) q << 8) | (tl ? 2 : 0) | (th ? 1 : 0);
      Integer known = states.get(key);
      if (known != null) {
        return known;
      }
      int s = b.newState();
      states.put(key, s);
      if (q > 0 && canStop(tl, th, q)) {
        b.epsilon(s, exit);
      }
      if (q < fractionDigits) {
        int loD = tl ? fracDigit(loFrac, q) : 0;
        int hiD = th ? fracDigit(hiFrac, q) : 9;
        for (int d = loD; d <= hiD; d++) {
          b.edge(s, '0' + d, fracState(q + 1, tl && d == loD, th && d == hiD));
        }
      }
      return s;
    }

    private static int fracDigit(String frac, int q) {
      return q < frac.length() ? frac.charAt(q) - '0' : 0;
    }

    /** Whether the digits so far (the rest being zeros) satisfy the bounds still tied ({@code tl}, {@code th}). */
    private boolean canStop(boolean tl, boolean th, int q) {
      if (tl && (q < loFrac.length() || loExclusive)) {
        return false; // below lo, or equal to an exclusive lo
      }
      return !(th && q >= hiFrac.length() && hiExclusive); // equal to an exclusive hi
    }
  }

  // ---------------------------------------------------------------- objects and arrays

  private void object(JsonNode node, String ptr, int entry, int exit) {
    JsonNode props = node.get("properties");
    if (props != null && !props.isObject()) {
      throw UnsupportedSchemaException.invalid("properties", ptr, "must be an object");
    }
    JsonNode additional = node.get("additionalProperties");
    if (additional != null && !additional.isBoolean() && !additional.isObject()) {
      throw UnsupportedSchemaException.invalid("additionalProperties", ptr, "must be a boolean or a schema");
    }
    Set<String> required = new HashSet<>();
    JsonNode req = node.get("required");
    if (req != null) {
      if (!req.isArray()) {
        throw UnsupportedSchemaException.invalid("required", ptr, "must be an array of property names");
      }
      for (JsonNode r : req) {
        if (!r.isTextual()) {
          throw UnsupportedSchemaException.invalid("required", ptr, "must be an array of property names");
        }
        if (props == null || !props.has(r.textValue())) {
          throw UnsupportedSchemaException.invalid("required", ptr, "required property \"" + r.textValue()
              + "\" is not declared in properties");
        }
        required.add(r.textValue());
      }
    }
    boolean closed = additional != null && additional.isBoolean() && !additional.booleanValue();
    if ((props == null || props.isEmpty()) && !closed) {
      freeObject(entry, exit, FREE_FORM_DEPTH - 1);
      return;
    }
    List<String> names = new ArrayList<>();
    if (props != null) {
      props.fieldNames().forEachRemaining(names::add);
    }
    int n = names.size();
    int[] first = new int[n + 1]; // before property i, nothing written yet
    int[] later = new int[n + 1]; // before property i, something written (a comma comes first)
    for (int i = 0; i <= n; i++) {
      first[i] = b.newState();
      later[i] = b.newState();
    }
    b.edge(entry, '{', first[0]);
    for (int i = 0; i < n; i++) {
      String name = names.get(i);
      if (!required.contains(name)) {
        b.epsilon(first[i], first[i + 1]);
        b.epsilon(later[i], later[i + 1]);
      }
      int keyStart = b.newState();
      b.epsilon(first[i], keyStart);
      b.edge(later[i], ',', keyStart);
      int valueStart = b.literal(keyStart, (canonical(JsonNodeFactory.instance.textNode(name)) + ":")
          .getBytes(StandardCharsets.UTF_8));
      build(props.get(name), ptr + "/properties/" + UnsupportedSchemaException.escape(name), valueStart,
          later[i + 1]);
    }
    b.edge(first[n], '}', exit);
    b.edge(later[n], '}', exit);
  }

  private void array(JsonNode node, String ptr, int entry, int exit) {
    int min = nonNegativeInt(node, ptr, "minItems", 0);
    int max = nonNegativeInt(node, ptr, "maxItems", -1);
    if (max >= 0 && min > max) {
      throw UnsupportedSchemaException.invalid("minItems", ptr, "minItems " + min + " exceeds maxItems " + max);
    }
    JsonNode items = node.get("items");
    if (items != null && !items.isObject() && !items.isBoolean()) {
      throw UnsupportedSchemaException.invalid("items", ptr, "must be a schema (tuple form is not supported)");
    }
    String itemsPtr = ptr + "/items";
    int open = b.newState();
    b.edge(entry, '[', open);
    if (min == 0) {
      b.edge(open, ']', exit);
    }
    if (max == 0) {
      return;
    }
    int copies = max >= 0 ? max : Math.max(min, 1);
    int[] starts = new int[copies];
    for (int i = 0; i < copies; i++) {
      starts[i] = b.newState();
    }
    b.epsilon(open, starts[0]);
    for (int i = 0; i < copies; i++) {
      int end = b.newState();
      if (items == null) {
        anyValue(starts[i], end, FREE_FORM_DEPTH - 1);
      } else {
        build(items, itemsPtr, starts[i], end);
      }
      if (i + 1 >= min) {
        b.edge(end, ']', exit);
      }
      if (i + 1 < copies) {
        b.edge(end, ',', starts[i + 1]);
      } else if (max < 0) {
        b.edge(end, ',', starts[i]);
      }
    }
  }

  // ---------------------------------------------------------------- free-form JSON

  /** Any JSON value with at most {@code depth} levels of nested containers. */
  private void anyValue(int entry, int exit, int depth) {
    literal(entry, exit, "null");
    literal(entry, exit, "true");
    literal(entry, exit, "false");
    freeString(entry, exit, 0, -1);
    int num = b.newState();
    b.epsilon(entry, num);
    new Magnitude(false, BigDecimal.ZERO, false, null, false).build(num, exit);
    int neg = b.newState();
    b.edge(entry, '-', neg);
    new Magnitude(false, BigDecimal.ZERO, true, null, false).build(neg, exit);
    if (depth > 0) {
      freeObject(entry, exit, depth - 1);
      freeArray(entry, exit, depth - 1);
    }
  }

  private void freeObject(int entry, int exit, int depth) {
    int open = b.newState();
    b.edge(entry, '{', open);
    b.edge(open, '}', exit);
    int member = b.newState();
    b.epsilon(open, member);
    int colon = b.newState();
    freeString(member, colon, 0, -1);
    int value = b.newState();
    b.edge(colon, ':', value);
    int end = b.newState();
    anyValue(value, end, depth);
    b.edge(end, ',', member);
    b.edge(end, '}', exit);
  }

  private void freeArray(int entry, int exit, int depth) {
    int open = b.newState();
    b.edge(entry, '[', open);
    b.edge(open, ']', exit);
    int item = b.newState();
    b.epsilon(open, item);
    int end = b.newState();
    anyValue(item, end, depth);
    b.edge(end, ',', item);
    b.edge(end, ']', exit);
  }
}
