package dev.kamado.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsValidationTest {

  @TempDir
  Path dir;

  /** A file with the given header length field, header text and number of data bytes. */
  private Path file(long headerLength, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(headerLength).put(json);
    Path path = dir.resolve("bad.safetensors");
    Files.write(path, buf.array());
    return path;
  }

  private Path file(String header, int dataBytes) throws IOException {
    return file(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
  }

  private static String entry(String name, String dtype, String shape, long begin, long end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
        + end + "]}";
  }

  private void assertRejected(Path path, String problem) {
    assertThatThrownBy(() -> SafetensorsFile.open(path).close()).isInstanceOf(SafetensorsException.class)
        .hasMessage(path + ": " + problem);
  }

  @Test
  void fileTooShort() throws IOException {
    Path path = dir.resolve("short.safetensors");
    Files.write(path, new byte[] {1, 0, 0});
    assertRejected(path, "file is 3 bytes, too short for the 8-byte header length");
  }

  @Test
  void headerLengthBeyondFileSize() throws IOException {
    Path path = file(1000, "{}", 0);
    assertRejected(path, "header length 1000 is beyond the file size 10");
    Path negative = file(-1, "{}", 0);
    assertRejected(negative, "header length 18446744073709551615 is beyond the file size 10");
  }

  @Test
  void headerNotJson() throws IOException {
    assertThatThrownBy(() -> SafetensorsFile.open(file("{\"a\": nope}", 0)))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageStartingWith(dir.resolve("bad.safetensors") + ": header is not valid JSON: Unrecognized token");
    assertRejected(file("[1, 2]", 0), "header is not a JSON object");
    assertRejected(file("{} {}", 0), "header is not valid JSON: content after the closing brace");
  }

  @Test
  void unknownDtype() throws IOException {
    assertRejected(file("{" + entry("w", "F12", "[1]", 0, 4) + "}", 4), "tensor 'w': unknown dtype 'F12'");
  }

  @Test
  void dataOffsetsOutOfRange() throws IOException {
    assertRejected(file("{" + entry("w", "F32", "[2]", 0, 8) + "}", 4),
        "tensor 'w': data_offsets [0, 8] out of range: the data section is 4 bytes");
    assertRejected(file("{" + entry("w", "F32", "[0]", 4, 0) + "}", 4),
        "tensor 'w': data_offsets [4, 0] out of range: the data section is 4 bytes");
    assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
        "tensor 'w': 'data_offsets' must be an array of 2 non-negative integers, got [0]");
    assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4),
        "tensor 'w': 'data_offsets' must be an array of 2 non-negative integers, got [-4,0]");
  }

  @Test
  void overlappingTensors() throws IOException {
    assertRejected(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12),
        "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
  }

  @Test
  void byteCountDoesNotMatchDtypeAndShape() throws IOException {
    assertRejected(file("{" + entry("w", "BF16", "[2,3]", 0, 10) + "}", 12),
        "tensor 'w': dtype BF16 and shape [2, 3] need 12 bytes but data_offsets [0, 10] span 10");
  }

  @Test
  void badShape() throws IOException {
    assertRejected(file("{" + entry("w", "F32", "[-1]", 0, 4) + "}", 4),
        "tensor 'w': 'shape' must be an array of non-negative integers, got [-1]");
    assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
        "tensor 'w': 'shape' must be an array of non-negative integers, got null");
  }

  @Test
  void duplicateNames() throws IOException {
    assertRejected(file("{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 4, 8) + "}", 8),
        "duplicate tensor name 'w' in header");
  }

  @Test
  void badMetadata() throws IOException {
    assertRejected(file("{\"__metadata__\":{\"step\":10}}", 0),
        "__metadata__ value of 'step' must be a string, got NUMBER");
  }

  @Test
  void missingDtypeAndNonObjectEntry() throws IOException {
    assertRejected(file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'w': missing string field 'dtype'");
    assertRejected(file("{\"w\":3}", 0), "tensor 'w': entry must be an object, got NUMBER");
  }

  @Test
  void headerSpacePaddingAndGapsAreAccepted() throws IOException {
    Path path = file("{" + entry("w", "F32", "[1]", 4, 8) + "}   ", 8);
    try (SafetensorsFile st = SafetensorsFile.open(path)) {
      assertThat(st.names()).containsExactly("w");
    }
  }

  @Test
  void writerRejectsBadTensors() {
    SafetensorsWriter w = new SafetensorsWriter().add("w", DType.F32, new long[] {1}, new float[] {1});
    assertThatThrownBy(() -> w.add("w", DType.F32, new long[] {1}, new float[] {1}))
        .hasMessage("duplicate tensor name 'w'");
    assertThatThrownBy(() -> w.add("x", DType.F32, new long[] {2}, new float[] {1}))
        .hasMessage("tensor 'x': shape [2] has 2 elements but the data has 1");
    assertThatThrownBy(() -> w.add("y", DType.F16, new long[] {1}, new float[] {1}))
        .hasMessage("tensor 'y': cannot write float data as F16 (F32 and BF16 are supported)");
    assertThatThrownBy(() -> w.add("__metadata__", DType.F32, new long[] {1}, new float[] {1}))
        .hasMessage("invalid tensor name '__metadata__'");
    assertThatThrownBy(() -> w.add("z", DType.F32, new long[] {-1}, () -> new float[0]))
        .hasMessage("tensor 'z': negative dimension in shape [-1]");
  }
}
