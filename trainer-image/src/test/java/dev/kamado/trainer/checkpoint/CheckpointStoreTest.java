package dev.kamado.trainer.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir
  Path dir;

  private static CheckpointState state(long step) {
    return new CheckpointState(CheckpointState.FORMAT, step, step * 2, 100, 42, 1e-4, "fp", "2026-01-01T00:00:00Z");
  }

  @Test
  void writesPublishesAndKeepsTheNewestK() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 2);
    for (long step : new long[] {10, 20, 30}) {
      store.write(state(step), d -> Files.writeString(d.resolve("weights.bin"), "w" + step));
    }
    assertThat(store.complete()).extracting(p -> p.getFileName().toString())
        .containsExactly("step-00000020", "step-00000030");
    assertThat(Files.readString(dir.resolve("latest")).trim()).isEqualTo("step-00000030");
    var latest = store.latest().orElseThrow();
    assertThat(latest.state()).isEqualTo(state(30));
    assertThat(Files.readString(latest.dir().resolve("weights.bin"))).isEqualTo("w30");
    try (var list = Files.list(dir)) {
      assertThat(list.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
    }
  }

  @Test
  void aFailingWriterLeavesTheLatestCheckpointAndNoTemporaryFolder() throws IOException {
    CheckpointStore store = new CheckpointStore(dir, 3);
    store.write(state(1), d -> Files.writeString(d.resolve("w"), "1"));
    assertThatThrownBy(() -> store.write(state(2), d -> {
      Files.writeString(d.resolve("w"), "partial");
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(store.latest().orElseThrow().state().step()).isEqualTo(1);
    try (var list = Files.list(dir)) {
      assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("latest", "step-00000001");
    }
  }

  @Test
  void leftoversOfAKilledWriteAreRemovedAndAStalePointerFallsBackToTheNewestComplete() throws IOException {
    CheckpointStore first = new CheckpointStore(dir, 5);
    first.write(state(5), d -> Files.writeString(d.resolve("w"), "5"));
    first.write(state(6), d -> Files.writeString(d.resolve("w"), "6"));
    Files.createDirectories(dir.resolve(".tmp-step-00000007-abc"));
    Files.writeString(dir.resolve("latest"), "step-00000099\n");
    CheckpointStore reopened = new CheckpointStore(dir, 5);
    assertThat(Files.exists(dir.resolve(".tmp-step-00000007-abc"))).isFalse();
    assertThat(reopened.latest().orElseThrow().state().step()).isEqualTo(6);
  }

  @Test
  void emptyFolderHasNoCheckpoint() throws IOException {
    assertThat(new CheckpointStore(dir.resolve("new"), 1).latest()).isEmpty();
  }
}
