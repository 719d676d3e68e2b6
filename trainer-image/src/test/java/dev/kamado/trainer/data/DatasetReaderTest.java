package dev.kamado.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kamado.api.v1alpha1.DatasetFormat;
import dev.kamado.trainer.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {
  @TempDir
  Path dir;

  private DatasetReader.Result read(DatasetFormat format, String name, String content) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    return new DatasetReader(format).read(file);
  }

  @Test
  void chatLinesBecomeExamplesAndEveryBadLineIsNamedWithItsReason() throws Exception {
    var result = read(DatasetFormat.CHAT, "train.jsonl", String.join("\n",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}",
        "{\"conversation\":[]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":42},{\"role\":\"assistant\",\"content\":\"x\"}]}",
        "",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"only a question\"}]}",
        "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}",
        "[1,2]",
        "{\"messages\":\"hello\"}"));
    assertThat(result.examples()).hasSize(1);
    assertThat(result.examples().get(0)).isInstanceOfSatisfying(RawExample.Chat.class, c -> {
      assertThat(c.messages()).extracting(RawExample.Message::role).containsExactly("user", "assistant");
      assertThat(c.source().line()).isEqualTo(1);
    });
    assertThat(result.problems()).extracting(DatasetProblem::message).containsExactly(
        "train.jsonl line 2: malformed JSON at column 44: Unexpected end-of-input: expected close marker for Array",
        "train.jsonl line 3: missing field \"messages\" (a chat record needs \"messages\": [{\"role\": ..., "
            + "\"content\": ...}])",
        "train.jsonl line 4: field \"messages[0].content\" must be a string, got number",
        "train.jsonl line 6: no assistant message, so nothing to learn from",
        "train.jsonl line 7: field \"messages[0].role\" is \"robot\", expected system, user or assistant",
        "train.jsonl line 8: expected a JSON object, got array",
        "train.jsonl line 9: field \"messages\" must be an array, got string");
    assertThat(result.problems()).extracting(DatasetProblem::reason).containsExactly(
        DatasetProblem.Reason.MALFORMED_JSON, DatasetProblem.Reason.MISSING_FIELD, DatasetProblem.Reason.WRONG_TYPE,
        DatasetProblem.Reason.NO_TARGET, DatasetProblem.Reason.WRONG_TYPE, DatasetProblem.Reason.WRONG_TYPE,
        DatasetProblem.Reason.WRONG_TYPE);
  }

  @Test
  void completionAcceptsInputOutputAndPromptCompletion() throws Exception {
    var result = read(DatasetFormat.COMPLETION, "c.jsonl", String.join("\n",
        "{\"input\":\"a\",\"output\":\"b\"}",
        "{\"prompt\":\"c\",\"completion\":\"d\"}",
        "{\"input\":\"e\"}",
        "{\"input\":\"f\",\"output\":[\"g\"]}"));
    assertThat(result.examples()).containsExactly(
        new RawExample.Completion(new SourceLine(dir.resolve("c.jsonl"), 1), "a", "b"),
        new RawExample.Completion(new SourceLine(dir.resolve("c.jsonl"), 2), "c", "d"));
    assertThat(result.problems()).extracting(DatasetProblem::message).containsExactly(
        "c.jsonl line 3: missing field \"output\" (a completion record needs \"input\" and \"output\" (or "
            + "\"prompt\" and \"completion\"))",
        "c.jsonl line 4: field \"output\" must be a string, got array");
  }

  @Test
  void textReadsJsonLinesAndPlainFilesOfAFolderInNameOrder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("corpus"));
    Files.writeString(folder.resolve("b.txt"), "plain document\nwith two lines\n");
    Files.writeString(folder.resolve("a.jsonl"), "{\"text\":\"first\"}\n{\"text\":\"\"}\n{\"txt\":\"x\"}\n");
    Files.writeString(folder.resolve(".hidden"), "ignored");
    var result = new DatasetReader(DatasetFormat.TEXT).read(folder);
    assertThat(result.examples()).extracting(e -> ((RawExample.Text) e).text())
        .containsExactly("first", "plain document\nwith two lines\n");
    assertThat(result.problems()).extracting(DatasetProblem::message).containsExactly(
        "a.jsonl line 2: field \"text\" is empty",
        "a.jsonl line 3: missing field \"text\" (a text record needs \"text\": \"...\")");
  }

  @Test
  void missingPathAndNonUtf8AreInvalidInput() throws Exception {
    assertThatThrownBy(() -> new DatasetReader(DatasetFormat.CHAT).read(dir.resolve("nope.jsonl")))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("nope.jsonl does not exist");
    Path bad = dir.resolve("bad.jsonl");
    Files.write(bad, new byte[] {'{', (byte) 0xff, '}', '\n'});
    assertThatThrownBy(() -> new DatasetReader(DatasetFormat.CHAT).read(bad))
        .isInstanceOf(InvalidInputException.class).hasMessage("dataset file bad.jsonl is not UTF-8 text");
  }
}
