package dev.kamado.model.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields Kamado uses from {@code tokenizer_config.json} (and the EOS ids of {@code generation_config.json}).
 *
 * @param chatTemplate the Jinja chat template source, or null (a list of named templates yields the one named
 *     {@code default}, else the first)
 * @param bosToken BOS token text, or null
 * @param eosToken EOS token text, or null
 * @param padToken padding token text, or null
 * @param addBosToken the {@code add_bos_token} field, or null when absent
 * @param addEosToken the {@code add_eos_token} field, or null when absent
 * @param tokenizerClass the {@code tokenizer_class} field, or null
 * @param cleanUpTokenizationSpaces the {@code clean_up_tokenization_spaces} field (false when absent)
 * @param generationEosIds EOS ids from generation_config.json ({@code eos_token_id}, a number or a list), or empty
 */
record TokenizerConfigJson(String chatTemplate, String bosToken, String eosToken, String padToken,
    Boolean addBosToken, Boolean addEosToken, String tokenizerClass, boolean cleanUpTokenizationSpaces,
    List<Integer> generationEosIds) {

  static final String FILE_NAME = "tokenizer_config.json";
  static final String GENERATION_CONFIG = "generation_config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** No tokenizer_config.json. */
  static TokenizerConfigJson empty() {
    return new TokenizerConfigJson(null, null, null, null, null, null, null, false, List.of());
  }

  /** Reads both files from {@code modelDir}; missing files give empty values. */
  static TokenizerConfigJson read(Path modelDir) throws IOException {
    Path file = modelDir.resolve(FILE_NAME);
    TokenizerConfigJson cfg = Files.exists(file) ? parse(file, Files.readString(file, StandardCharsets.UTF_8))
        : empty();
    Path gen = modelDir.resolve(GENERATION_CONFIG);
    if (Files.exists(gen)) {
      JsonNode root = readTree(gen, Files.readString(gen, StandardCharsets.UTF_8));
      JsonNode eos = root.path("eos_token_id");
      List<Integer> ids = new ArrayList<>();
      if (eos.canConvertToInt()) {
        ids.add(eos.asInt());
      } else if (eos.isArray()) {
        for (int i = 0; i < eos.size(); i++) {
          if (!eos.get(i).canConvertToInt()) {
            throw new TokenizerFormatException(gen, "eos_token_id[" + i + "] is not an integer");
          }
          ids.add(eos.get(i).asInt());
        }
      } else if (!eos.isMissingNode() && !eos.isNull()) {
        throw new TokenizerFormatException(gen, "eos_token_id must be an integer or a list of integers");
      }
      cfg = new TokenizerConfigJson(cfg.chatTemplate, cfg.bosToken, cfg.eosToken, cfg.padToken, cfg.addBosToken,
          cfg.addEosToken, cfg.tokenizerClass, cfg.cleanUpTokenizationSpaces, List.copyOf(ids));
    }
    return cfg;
  }

  /** Parses tokenizer_config.json text; {@code file} names it in errors. */
  static TokenizerConfigJson parse(Path file, String text) throws TokenizerFormatException {
    JsonNode root = readTree(file, text);
    return new TokenizerConfigJson(chatTemplate(file, root.get("chat_template")),
        tokenText(file, root, "bos_token"), tokenText(file, root, "eos_token"), tokenText(file, root, "pad_token"),
        bool(file, root, "add_bos_token"), bool(file, root, "add_eos_token"),
        root.path("tokenizer_class").isTextual() ? root.get("tokenizer_class").asText() : null,
        Boolean.TRUE.equals(bool(file, root, "clean_up_tokenization_spaces")), List.of());
  }

  private static JsonNode readTree(Path file, String text) throws TokenizerFormatException {
    try {
      JsonNode root = JSON.readTree(text);
      if (root == null || !root.isObject()) {
        throw new TokenizerFormatException(file, "not a JSON object");
      }
      return root;
    } catch (JsonProcessingException e) {
      throw new TokenizerFormatException(file, "not valid JSON: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")"), e);
    }
  }

  private static String chatTemplate(Path file, JsonNode node) throws TokenizerFormatException {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isArray()) {
      String first = null;
      for (JsonNode t : node) {
        String name = t.path("name").asText("");
        String template = t.path("template").isTextual() ? t.get("template").asText() : null;
        if ("default".equals(name) && template != null) {
          return template;
        }
        if (first == null) {
          first = template;
        }
      }
      return first;
    }
    throw new TokenizerFormatException(file, "chat_template must be a string or a list of {name, template}");
  }

  private static String tokenText(Path file, JsonNode root, String field) throws TokenizerFormatException {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isObject() && node.path("content").isTextual()) {
      return node.get("content").asText();
    }
    throw new TokenizerFormatException(file, field + " must be a string or an object with 'content'");
  }

  private static Boolean bool(Path file, JsonNode root, String field) throws TokenizerFormatException {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isBoolean()) {
      throw new TokenizerFormatException(file, field + " must be true or false");
    }
    return node.asBoolean();
  }
}
