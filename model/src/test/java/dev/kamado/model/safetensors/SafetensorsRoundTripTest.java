package dev.kamado.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

  static final float[] EDGES = {
      0f, -0f, 1f, -1f, 0.1f, (float) Math.PI, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 0x1p-140f,
      Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
      Float.intBitsToFloat(0x7FC00123), 65504f, 1 + 0x1p-8f, 1 + 0x1p-7f + 0x1p-8f, Float.intBitsToFloat(0xFF7F0000)};

  @TempDir
  Path dir;

  @Test
  void f32RoundTripIsBitExact() throws IOException {
    Path file = dir.resolve("f32.safetensors");
    new SafetensorsWriter().add("edges", DType.F32, new long[] {4, 5}, EDGES).write(file);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      TensorInfo info = st.info("edges");
      assertThat(info.dtype()).isEqualTo(DType.F32);
      assertThat(info.shape()).containsExactly(4, 5);
      assertThat(bits(st.floats("edges"))).containsExactly(bits(EDGES));
      assertThat(st.metadata()).isEqualTo(Map.of("format", "pt"));
    }
  }

  @Test
  void bf16RoundTripRoundsToNearestEven() throws IOException {
    Path file = dir.resolve("bf16.safetensors");
    new SafetensorsWriter().add("edges", DType.BF16, new long[] {20}, EDGES).write(file);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      float[] back = st.floats("edges");
      for (int i = 0; i < EDGES.length; i++) {
        float expected = FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(EDGES[i]));
        assertThat(Float.floatToRawIntBits(back[i])).as("element %d (%s)", i, EDGES[i])
            .isEqualTo(Float.floatToRawIntBits(expected));
      }
      assertThat(back[2]).isEqualTo(1f);
      assertThat(back[10]).isEqualTo(Float.POSITIVE_INFINITY); // MAX_VALUE rounds up
      assertThat(back[14]).isNaN();
      assertThat(back[17]).isEqualTo(1f);
      assertThat(back[18]).isEqualTo(1 + 0x1p-6f);
      assertThat(back[19]).isEqualTo(Float.intBitsToFloat(0xFF7F0000)); // the largest finite bf16 stays finite
      ByteBuffer raw = st.bytes("edges");
      assertThat(raw.capacity()).isEqualTo(40);
      assertThat(raw.getShort(4)).isEqualTo((short) 0x3F80);
    }
  }

  @Test
  void f16ReadsEveryPatternExactly() throws IOException {
    ByteBuffer all = ByteBuffer.allocate(2 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (int h = 0; h < 1 << 16; h++) {
      all.putShort((short) h);
    }
    all.flip();
    Path file = dir.resolve("f16.safetensors");
    new SafetensorsWriter().addRaw("all", DType.F16, new long[] {256, 256}, () -> all).write(file);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      float[] back = st.floats("all");
      for (int h = 0; h < back.length; h++) {
        assertThat(Float.floatToRawIntBits(back[h])).isEqualTo(Float.floatToRawIntBits(FloatCodec.halfToFloat(h)));
      }
      assertThat(back[0x3C00]).isEqualTo(1f);
      assertThat(back[0x0001]).isEqualTo(0x1p-24f);
      assertThat(back[0xFC00]).isEqualTo(Float.NEGATIVE_INFINITY);
    }
  }

  @Test
  void integerTensorsAreReadAsLongsAndRefusedAsFloats() throws IOException {
    ByteBuffer i64 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(Long.MAX_VALUE)
        .putLong(7).flip();
    ByteBuffer i32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).putInt(Integer.MAX_VALUE)
        .flip();
    Path file = dir.resolve("ints.safetensors");
    new SafetensorsWriter()
        .addRaw("ids64", DType.I64, new long[] {3}, () -> i64)
        .addRaw("ids32", DType.I32, new long[] {1, 2}, () -> i32)
        .add("w", DType.F32, new long[] {1}, new float[] {2f})
        .write(file);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertThat(st.names()).containsExactly("ids32", "ids64", "w");
      assertThat(st.longs("ids64")).containsExactly(-1, Long.MAX_VALUE, 7);
      assertThat(st.longs("ids32")).containsExactly(-5, Integer.MAX_VALUE);
      assertThatThrownBy(() -> st.floats("ids64")).isInstanceOf(SafetensorsException.class)
          .hasMessage(file + ": tensor 'ids64' has dtype I64, not a float type (F32, F16, BF16)");
      assertThatThrownBy(() -> st.longs("w")).hasMessage(file + ": tensor 'w' has dtype F32, not an integer type");
      assertThatThrownBy(() -> st.info("nope")).hasMessage(file + ": no tensor 'nope'");
    }
  }

  @Test
  void scalarsAndEmptyTensors() throws IOException {
    Path file = dir.resolve("small.safetensors");
    new SafetensorsWriter()
        .add("scalar", DType.F32, new long[] {}, new float[] {42f})
        .add("empty", DType.BF16, new long[] {0, 3}, new float[0])
        .add("after", DType.F32, new long[] {2}, new float[] {1f, 2f})
        .write(file);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertThat(st.floats("scalar")).containsExactly(42f);
      assertThat(st.info("scalar").shape()).isEmpty();
      assertThat(st.floats("empty")).isEmpty();
      assertThat(st.floats("after")).containsExactly(1f, 2f);
    }
  }

  @Test
  void readsThroughSmallMappedWindows() throws IOException {
    float[] data = new float[1000];
    Random random = new Random(3);
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    Path file = dir.resolve("windows.safetensors");
    new SafetensorsWriter().add("a", DType.F32, new long[] {10, 100}, data)
        .add("b", DType.BF16, new long[] {1000}, data).write(file);
    try (SafetensorsFile whole = SafetensorsFile.open(file); SafetensorsFile windowed = SafetensorsFile.open(file, 6)) {
      assertThat(windowed.floats("a")).containsExactly(data);
      assertThat(windowed.floats("b")).containsExactly(whole.floats("b"));
      float[] into = new float[1002];
      windowed.readFloats("a", into, 2);
      assertThat(Arrays.copyOfRange(into, 2, 1002)).containsExactly(data);
      assertThatThrownBy(() -> windowed.readFloats("a", new float[1000], 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tensor 'a' has 1000 elements");
    }
  }

  @Test
  void outputIsDeterministicAndSortedByName() throws Exception {
    Path first = dir.resolve("first.safetensors");
    Path second = dir.resolve("second.safetensors");
    new SafetensorsWriter().add("b", DType.F32, new long[] {1}, new float[] {2f})
        .add("a", DType.BF16, new long[] {2}, new float[] {1f, -1f}).metadata("z", "1").metadata("step", "10")
        .write(first);
    new SafetensorsWriter().metadata("step", "10").metadata("z", "1")
        .add("a", DType.BF16, new long[] {2}, new float[] {1f, -1f})
        .add("b", DType.F32, new long[] {1}, new float[] {2f}).write(second);
    byte[] bytes = Files.readAllBytes(first);
    assertThat(bytes).isEqualTo(Files.readAllBytes(second));
    assertThat(sha256(bytes)).isEqualTo(sha256(Files.readAllBytes(second)));

    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(headerLength % 8).isZero();
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertThat(header).isEqualTo("{\"__metadata__\":{\"format\":\"pt\",\"step\":\"10\",\"z\":\"1\"},"
        + "\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}" + " ");
    assertThat(bytes).hasSize(8 + (int) headerLength + 8);
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
