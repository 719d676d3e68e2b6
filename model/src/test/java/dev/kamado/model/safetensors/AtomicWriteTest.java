package dev.kamado.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriteTest {

  @TempDir
  Path dir;

  private Path target;
  private byte[] previous;

  private void writePrevious() throws IOException {
    target = dir.resolve("model.safetensors");
    new SafetensorsWriter().add("w", DType.F32, new long[] {2}, new float[] {1, 2}).write(target);
    previous = Files.readAllBytes(target);
  }

  private void assertPreviousIntactAndNoTempFile() throws IOException {
    assertThat(Files.readAllBytes(target)).isEqualTo(previous);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void successfulWriteLeavesOnlyTheTarget() throws IOException {
    writePrevious();
    new SafetensorsWriter().add("w", DType.F32, new long[] {3}, new float[] {4, 5, 6}).write(target);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
    try (SafetensorsFile st = SafetensorsFile.open(target)) {
      assertThat(st.floats("w")).containsExactly(4, 5, 6);
    }
  }

  @Test
  void supplierFailingMidwayKeepsThePreviousFile() throws IOException {
    writePrevious();
    float[] big = new float[1 << 20]; // written first ("a" < "b"), so the failure comes after real data
    SafetensorsWriter writer = new SafetensorsWriter()
        .add("a", DType.F32, new long[] {big.length}, big)
        .add("b", DType.F32, new long[] {1}, () -> {
          throw new UncheckedIOException(new IOException("disk gone"));
        });
    assertThatThrownBy(() -> writer.write(target)).isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("disk gone");
    assertPreviousIntactAndNoTempFile();
  }

  @Test
  void dataOfTheWrongLengthKeepsThePreviousFile() throws IOException {
    writePrevious();
    SafetensorsWriter writer = new SafetensorsWriter().add("a", DType.BF16, new long[] {4}, () -> new float[3]);
    assertThatThrownBy(() -> writer.write(target)).isInstanceOf(IOException.class)
        .hasMessage("tensor 'a': shape [4] has 4 elements but the data has 3");
    assertPreviousIntactAndNoTempFile();
  }
}
