package dev.kamado.trainer.data;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.trainer.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a dataset (one file or a folder of files, read in name order) into {@link RawExample}s, checking every line.
 *
 * <p>Layouts: {@code chat} JSON Lines with {@code messages} (objects with string {@code role} among system, user,
 * assistant and string {@code content}, at least one assistant message); {@code completion} JSON Lines with string
 * {@code input} and {@code output} (or {@code prompt} and {@code completion}); {@code text} JSON Lines with a string
 * {@code text}, or any file not ending in {@code .jsonl}/{@code .json}, which is read whole as one document. Lines
 * that are empty or only whitespace separate nothing and are not examples. Every other line becomes either an example
 * or a {@link DatasetProblem} naming file, line and reason: nothing is dropped silently.
 */
public final class DatasetReader {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final Set<String> ROLES = Set.of("system", "user", "assistant");

  /** Examples and problems of a dataset, in file and line order. */
  public record Result(List<RawExample> examples, List<DatasetProblem> problems) {
    /** Copies the lists. */
    public Result {
      examples = List.copyOf(examples);
      problems = List.copyOf(problems);
    }
  }

  private final DatasetFormat format;

  /** A reader for one layout. */
  public DatasetReader(DatasetFormat format) {
    this.format = format;
  }

  /**
   * Reads {@code path}, a file or a folder (its regular files, not hidden, in name order).
   *
   * @throws InvalidInputException when the path does not exist, is an empty folder, or a file is not UTF-8
   */
  public Result read(Path path) {
    List<RawExample> examples = new ArrayList<>();
    List<DatasetProblem> problems = new ArrayList<>();
    for (Path file : files(path)) {
      readFile(file, examples, problems);
    }
    return new Result(examples, problems);
  }

  /** The files a dataset path stands for. */
  public static List<Path> files(Path path) {
    if (Files.isRegularFile(path)) {
      return List.of(path);
    }
    if (!Files.isDirectory(path)) {
      throw new InvalidInputException("dataset " + path + " does not exist");
    }
    try (Stream<Path> list = Files.list(path)) {
      List<Path> files = list.filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
      if (files.isEmpty()) {
        throw new InvalidInputException("dataset folder " + path + " holds no files");
      }
      return files;
    } catch (IOException e) {
      throw new InvalidInputException("cannot list dataset folder " + path + ": " + e.getMessage(), e);
    }
  }

  private void readFile(Path file, List<RawExample> examples, List<DatasetProblem> problems) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean jsonLines = name.endsWith(".jsonl") || name.endsWith(".json");
    if (format == DatasetFormat.TEXT && !jsonLines) {
      String text = readWhole(file);
      if (!text.isBlank()) {
        examples.add(new RawExample.Text(new SourceLine(file, 1), text));
      }
      return;
    }
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), decoder))) {
      long lineNo = 0;
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        SourceLine source = new SourceLine(file, lineNo);
        Object parsed = parseLine(source, line);
        if (parsed instanceof DatasetProblem p) {
          problems.add(p);
        } else {
          examples.add((RawExample) parsed);
        }
      }
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("dataset file " + file.getFileName() + " is not UTF-8 text", e);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("dataset file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read dataset file " + file + ": " + e.getMessage(), e);
    }
  }

  private static String readWhole(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("dataset file " + file.getFileName() + " is not UTF-8 text", e);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read dataset file " + file + ": " + e.getMessage(), e);
    }
  }

  /** One line: a {@link RawExample} or a {@link DatasetProblem}. */
  Object parseLine(SourceLine source, String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonParseException e) {
      return new DatasetProblem(source, DatasetProblem.Reason.MALFORMED_JSON,
          "malformed JSON at column " + e.getLocation().getColumnNr() + ": " + brief(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      return new DatasetProblem(source, DatasetProblem.Reason.MALFORMED_JSON, "malformed JSON: "
          + brief(e.getOriginalMessage()));
    }
    if (node == null || !node.isObject()) {
      return new DatasetProblem(source, DatasetProblem.Reason.WRONG_TYPE,
          "expected a JSON object, got " + kind(node));
    }
    switch (format) {
      case CHAT:
        return chat(source, node);
      case COMPLETION:
        return completion(source, node);
      default:
        return text(source, node);
    }
  }

  private static Object chat(SourceLine source, JsonNode node) {
    JsonNode messages = node.get("messages");
    if (messages == null || messages.isNull()) {
      return missing(source, "messages", "a chat record needs \"messages\": [{\"role\": ..., \"content\": ...}]");
    }
    if (!messages.isArray()) {
      return wrongType(source, "messages", "an array", messages);
    }
    if (messages.isEmpty()) {
      return new DatasetProblem(source, DatasetProblem.Reason.NO_TARGET, "field \"messages\" is empty");
    }
    List<RawExample.Message> out = new ArrayList<>(messages.size());
    boolean assistant = false;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String at = "messages[" + i + "]";
      if (!m.isObject()) {
        return wrongType(source, at, "an object", m);
      }
      JsonNode role = m.get("role");
      if (role == null || role.isNull()) {
        return missing(source, at + ".role", null);
      }
      if (!role.isTextual()) {
        return wrongType(source, at + ".role", "a string", role);
      }
      if (!ROLES.contains(role.textValue())) {
        return new DatasetProblem(source, DatasetProblem.Reason.WRONG_TYPE, "field \"" + at + ".role\" is \""
            + role.textValue() + "\", expected system, user or assistant");
      }
      JsonNode content = m.get("content");
      if (content == null || content.isNull()) {
        return missing(source, at + ".content", null);
      }
      if (!content.isTextual()) {
        return wrongType(source, at + ".content", "a string", content);
      }
      assistant |= "assistant".equals(role.textValue());
      out.add(new RawExample.Message(role.textValue(), content.textValue()));
    }
    if (!assistant) {
      return new DatasetProblem(source, DatasetProblem.Reason.NO_TARGET,
          "no assistant message, so nothing to learn from");
    }
    return new RawExample.Chat(source, out);
  }

  private static Object completion(SourceLine source, JsonNode node) {
    String inName = node.has("input") || !node.has("prompt") ? "input" : "prompt";
    String outName = node.has("output") || !node.has("completion") ? "output" : "completion";
    JsonNode in = node.get(inName);
    JsonNode out = node.get(outName);
    if (in == null || in.isNull()) {
      return missing(source, inName, "a completion record needs \"input\" and \"output\" (or \"prompt\" and "
          + "\"completion\")");
    }
    if (!in.isTextual()) {
      return wrongType(source, inName, "a string", in);
    }
    if (out == null || out.isNull()) {
      return missing(source, outName, "a completion record needs \"input\" and \"output\" (or \"prompt\" and "
          + "\"completion\")");
    }
    if (!out.isTextual()) {
      return wrongType(source, outName, "a string", out);
    }
    return new RawExample.Completion(source, in.textValue(), out.textValue());
  }

  private static Object text(SourceLine source, JsonNode node) {
    JsonNode text = node.get("text");
    if (text == null || text.isNull()) {
      return missing(source, "text", "a text record needs \"text\": \"...\"");
    }
    if (!text.isTextual()) {
      return wrongType(source, "text", "a string", text);
    }
    if (text.textValue().isEmpty()) {
      return new DatasetProblem(source, DatasetProblem.Reason.NO_TARGET, "field \"text\" is empty");
    }
    return new RawExample.Text(source, text.textValue());
  }

  /** Jackson's message without its source excerpt and hints on further lines. */
  private static String brief(String message) {
    String m = message == null ? "" : message;
    int cut = m.indexOf('\n');
    m = cut >= 0 ? m.substring(0, cut) : m;
    cut = m.indexOf(" (start marker");
    return (cut >= 0 ? m.substring(0, cut) : m).trim();
  }

  private static DatasetProblem missing(SourceLine source, String field, String hint) {
    return new DatasetProblem(source, DatasetProblem.Reason.MISSING_FIELD,
        "missing field \"" + field + "\"" + (hint == null ? "" : " (" + hint + ")"));
  }

  private static DatasetProblem wrongType(SourceLine source, String field, String expected, JsonNode actual) {
    return new DatasetProblem(source, DatasetProblem.Reason.WRONG_TYPE,
        "field \"" + field + "\" must be " + expected + ", got " + kind(actual));
  }

  private static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
