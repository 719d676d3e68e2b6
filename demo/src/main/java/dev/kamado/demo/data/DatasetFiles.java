package dev.kamado.demo.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Writes a {@link TriageDataset} the way the trainer and the evaluation read it:
 * <ul>
 *   <li>{@code train.jsonl}, {@code validation.jsonl}, {@code test.jsonl}: chat examples, one
 *       {@code {"messages":[{"role":"user","content":INQUIRY},{"role":"assistant","content":RECORD_JSON}]}} per line;</li>
 *   <li>{@code records-<split>.jsonl}: {@code {"id","reference_date","text","record"}} per line;</li>
 *   <li>{@code triage-schema.json}: the schema the records follow.</li>
 * </ul>
 * Same dataset, same bytes.
 */
public final class DatasetFiles {
  /** Classpath resource of the triage JSON Schema. */
  public static final String SCHEMA_RESOURCE = "/triage-schema.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private DatasetFiles() {}

  /** Writes every file into {@code dir} (created if needed). */
  public static void write(TriageDataset dataset, Path dir) throws IOException {
    Files.createDirectories(dir);
    writeSplit(dataset.train(), dir, "train");
    writeSplit(dataset.validation(), dir, "validation");
    writeSplit(dataset.test(), dir, "test");
    try (InputStream in = DatasetFiles.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      Files.copy(in, dir.resolve("triage-schema.json"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void writeSplit(List<Inquiry> inquiries, Path dir, String split) throws IOException {
    try (BufferedWriter chat = Files.newBufferedWriter(dir.resolve(split + ".jsonl"), StandardCharsets.UTF_8);
         BufferedWriter raw = Files.newBufferedWriter(dir.resolve("records-" + split + ".jsonl"),
             StandardCharsets.UTF_8)) {
      for (Inquiry inquiry : inquiries) {
        chat.write(chatLine(inquiry));
        chat.write('\n');
        ObjectNode r = JSON.createObjectNode();
        r.put("id", inquiry.id());
        r.put("reference_date", inquiry.referenceDate().toString());
        r.put("text", inquiry.text());
        r.set("record", JSON.valueToTree(inquiry.record()));
        raw.write(JSON.writeValueAsString(r));
        raw.write('\n');
      }
    }
  }

  /** Writes texts as text JSONL, one {@code {"text": ...}} per line (continued pre-training data). */
  public static void writeTexts(List<String> texts, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String text : texts) {
        out.write(JSON.writeValueAsString(JSON.createObjectNode().put("text", text)));
        out.write('\n');
      }
    }
  }

  /** The chat example for one inquiry: the inquiry as the user turn, the compact record as the assistant turn. */
  public static String chatLine(Inquiry inquiry) throws IOException {
    ObjectNode line = JSON.createObjectNode();
    ArrayNode messages = line.putArray("messages");
    messages.addObject().put("role", "user").put("content", inquiry.text());
    messages.addObject().put("role", "assistant").put("content", inquiry.record().toJson());
    return JSON.writeValueAsString(line);
  }

  /** The triage schema's text. */
  public static String schemaText() {
    try (InputStream in = DatasetFiles.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
