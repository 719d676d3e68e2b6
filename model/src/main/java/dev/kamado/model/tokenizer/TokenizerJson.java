package dev.kamado.model.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What Kamado reads itself from a Hugging Face {@code tokenizer.json} (encoding is left to the native library): the
 * token string of every id, which ids are special added tokens, and how the decoder turns tokens into bytes, so that
 * {@link TextTokenizer#tokenBytes(int)} can be computed for every id.
 *
 * <p>Supported decoders: {@code ByteLevel} (GPT-2 byte map); {@code Metaspace}; a {@code Sequence} of
 * {@code Replace} (plain string patterns), {@code ByteFallback}, {@code Fuse} and a final {@code Strip} of leading
 * characters (the sentencepiece form used by Llama 2 and Mistral).
 */
final class TokenizerJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Token string per id (null for an id that no entry uses). */
  final String[] tokens;
  /** Whether an id is a special added token (skipped by decode with skipSpecialTokens). */
  final boolean[] special;
  /** Token string to id, over the model vocabulary and the added tokens. */
  final Map<String, Integer> ids;
  /** Bytes each id contributes to decoded text (null for special tokens and unused ids). */
  final byte[][] tokenBytes;
  /** Bytes of every id through the decoder, special tokens included (null for unused ids). */
  private final byte[][] contentBytes;
  /** Number of leading spaces the decoder strips from the start of a decoded text (sentencepiece). */
  final int stripLeadingSpaces;
  /** Decoder, as a short description for error messages and docs. */
  final String decoderName;
  /** The {@code post_processor} node, or null. */
  final JsonNode postProcessor;

  private TokenizerJson(String[] tokens, boolean[] special, Map<String, Integer> ids, byte[][] contentBytes,
      int stripLeadingSpaces, String decoderName, JsonNode postProcessor) {
    this.tokens = tokens;
    this.contentBytes = contentBytes;
    this.tokenBytes = new byte[contentBytes.length][];
    for (int id = 0; id < contentBytes.length; id++) {
      tokenBytes[id] = special[id] ? null : contentBytes[id];
    }
    this.special = special;
    this.ids = ids;
    this.stripLeadingSpaces = stripLeadingSpaces;
    this.decoderName = decoderName;
    this.postProcessor = postProcessor;
  }

  /** Parses tokenizer.json text; {@code file} is only used in error messages. */
  static TokenizerJson parse(Path file, String text) throws TokenizerFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new TokenizerFormatException(file, "not valid JSON: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")"), e);
    }
    if (root == null || !root.isObject()) {
      throw new TokenizerFormatException(file, "not a JSON object");
    }
    JsonNode model = root.get("model");
    if (model == null || !model.isObject()) {
      throw new TokenizerFormatException(file, "field 'model' is missing or not an object");
    }
    Map<String, Integer> ids = new HashMap<>();
    Map<Integer, String> byId = new HashMap<>();
    String type = model.path("type").asText("");
    JsonNode vocab = model.get("vocab");
    if (vocab == null) {
      throw new TokenizerFormatException(file, "field 'model.vocab' is missing");
    }
    if ("Unigram".equals(type)) {
      if (!vocab.isArray()) {
        throw new TokenizerFormatException(file, "field 'model.vocab' of a Unigram model must be an array");
      }
      for (int i = 0; i < vocab.size(); i++) {
        JsonNode entry = vocab.get(i);
        if (!entry.isArray() || entry.size() < 1 || !entry.get(0).isTextual()) {
          throw new TokenizerFormatException(file, "model.vocab[" + i + "] must be [piece, score]");
        }
        put(ids, byId, entry.get(0).asText(), i);
      }
    } else {
      if (!vocab.isObject()) {
        throw new TokenizerFormatException(file, "field 'model.vocab' must be an object of token to id");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
          throw new TokenizerFormatException(file, "model.vocab['" + e.getKey() + "'] is not a non-negative id");
        }
        put(ids, byId, e.getKey(), e.getValue().asInt());
      }
    }
    Map<Integer, Boolean> specialIds = new HashMap<>();
    JsonNode added = root.path("added_tokens");
    if (!added.isMissingNode() && !added.isNull() && !added.isArray()) {
      throw new TokenizerFormatException(file, "field 'added_tokens' must be an array");
    }
    for (int i = 0; i < added.size(); i++) {
      JsonNode t = added.get(i);
      if (!t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
        throw new TokenizerFormatException(file, "added_tokens[" + i + "] needs an integer 'id' and a string 'content'");
      }
      int id = t.get("id").asInt();
      String content = t.get("content").asText();
      ids.put(content, id);
      byId.put(id, content);
      specialIds.put(id, t.path("special").asBoolean(false));
    }
    int size = 0;
    for (int id : byId.keySet()) {
      size = Math.max(size, id + 1);
    }
    if (size == 0) {
      throw new TokenizerFormatException(file, "the vocabulary is empty");
    }
    String[] tokens = new String[size];
    boolean[] special = new boolean[size];
    for (Map.Entry<Integer, String> e : byId.entrySet()) {
      tokens[e.getKey()] = e.getValue();
      special[e.getKey()] = specialIds.getOrDefault(e.getKey(), false);
    }
    Decoder decoder = Decoder.parse(file, root.get("decoder"));
    byte[][] bytes = new byte[size][];
    for (int id = 0; id < size; id++) {
      if (tokens[id] != null) {
        bytes[id] = decoder.bytes(tokens[id]);
      }
    }
    JsonNode post = root.get("post_processor");
    return new TokenizerJson(tokens, special, ids, bytes, decoder.stripLeading, decoder.name,
        post == null || post.isNull() ? null : post);
  }

  /** Bytes a special token's text contributes when decoding without skipping special tokens. */
  byte[] specialBytes(int id) {
    return contentBytes[id] == null ? new byte[0] : contentBytes[id];
  }

  private static void put(Map<String, Integer> ids, Map<Integer, String> byId, String token, int id) {
    ids.put(token, id);
    byId.put(id, token);
  }

  /** Token-level view of a supported decoder. */
  private static final class Decoder {
    final String name;
    final boolean byteLevel;
    final boolean byteFallback;
    final List<String[]> replacements;
    final int stripLeading;

    Decoder(String name, boolean byteLevel, boolean byteFallback, List<String[]> replacements, int stripLeading) {
      this.name = name;
      this.byteLevel = byteLevel;
      this.byteFallback = byteFallback;
      this.replacements = replacements;
      this.stripLeading = stripLeading;
    }

    byte[] bytes(String token) {
      if (byteLevel) {
        return ByteLevelAlphabet.decode(token);
      }
      if (byteFallback && token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
        try {
          return new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)};
        } catch (NumberFormatException e) {
          // not a byte token: falls through to plain text
        }
      }
      String text = token;
      for (String[] r : replacements) {
        text = text.replace(r[0], r[1]);
      }
      return text.getBytes(StandardCharsets.UTF_8);
    }

    static Decoder parse(Path file, JsonNode node) throws TokenizerFormatException {
      if (node == null || node.isNull()) {
        throw new TokenizerFormatException(file, "field 'decoder' is missing; Kamado needs a ByteLevel, Metaspace or "
            + "sentencepiece-style (Replace/ByteFallback/Fuse/Strip) decoder to know each token's bytes");
      }
      List<JsonNode> steps = new ArrayList<>();
      String type = node.path("type").asText("");
      if ("Sequence".equals(type)) {
        node.path("decoders").forEach(steps::add);
      } else {
        steps.add(node);
      }
      boolean byteLevel = false;
      boolean byteFallback = false;
      boolean fused = false;
      int strip = 0;
      List<String[]> replacements = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (JsonNode step : steps) {
        String t = step.path("type").asText("");
        names.add(t);
        switch (t) {
          case "ByteLevel":
            byteLevel = true;
            break;
          case "ByteFallback":
            byteFallback = true;
            break;
          case "Fuse":
            fused = true;
            break;
          case "Replace": {
            JsonNode pattern = step.path("pattern");
            if (!pattern.has("String")) {
              throw new TokenizerFormatException(file, "decoder Replace with a regex pattern is not supported");
            }
            replacements.add(new String[] {pattern.get("String").asText(), step.path("content").asText("")});
            break;
          }
          case "Metaspace": {
            String replacement = step.path("replacement").asText("\u2581");
            replacements.add(new String[] {replacement, " "});
            String scheme = step.path("prepend_scheme").asText(
                step.path("add_prefix_space").asBoolean(true) ? "always" : "never");
            if (!"never".equals(scheme)) {
              strip = 1;
            }
            break;
          }
          case "Strip": {
            if (step.path("stop").asInt(0) != 0 || !" ".equals(step.path("content").asText(" "))) {
              throw new TokenizerFormatException(file, "decoder Strip is supported only for leading spaces");
            }
            if (!fused && steps.size() > 1) {
              throw new TokenizerFormatException(file, "decoder Strip before Fuse (per token) is not supported");
            }
            strip = step.path("start").asInt(0);
            break;
          }
          default:
            throw new TokenizerFormatException(file, "decoder type '" + t + "' is not supported (supported: "
                + "ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip)");
        }
      }
      if (byteLevel && steps.size() > 1) {
        throw new TokenizerFormatException(file, "decoder ByteLevel inside a Sequence is not supported");
      }
      return new Decoder(String.join("+", names), byteLevel, byteFallback, replacements, strip);
    }
  }
}
