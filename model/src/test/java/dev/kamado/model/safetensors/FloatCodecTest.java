package dev.kamado.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FloatCodecTest {

  /** Independent reference: the IEEE 754 binary16 formula evaluated in double. */
  private static double halfReference(int h) {
    int sign = (h >>> 15) & 1;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    double magnitude;
    if (exponent == 0x1F) {
      magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (exponent == 0) {
      magnitude = mantissa * Math.pow(2, -24);
    } else {
      magnitude = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  @Test
  void everyHalfPatternConvertsExactly() {
    for (int h = 0; h < 1 << 16; h++) {
      float f = FloatCodec.halfToFloat(h);
      double expected = halfReference(h);
      if (Double.isNaN(expected)) {
        assertThat(Float.isNaN(f)).as("pattern %04x", h).isTrue();
        // the payload survives: the top 10 mantissa bits of the float are the half's mantissa
        assertThat((Float.floatToRawIntBits(f) >>> 13) & 0x3FF).isEqualTo(h & 0x3FF);
      } else {
        assertThat((double) f).as("pattern %04x", h).isEqualTo(expected);
      }
      boolean negative = (h & 0x8000) != 0;
      assertThat(Float.floatToRawIntBits(f) < 0).as("sign of %04x", h).isEqualTo(negative);
    }
  }

  @Test
  void halfKnownValues() {
    assertThat(FloatCodec.halfToFloat(0x3C00)).isEqualTo(1.0f);
    assertThat(FloatCodec.halfToFloat(0xC000)).isEqualTo(-2.0f);
    assertThat(FloatCodec.halfToFloat(0x7BFF)).isEqualTo(65504f);
    assertThat(FloatCodec.halfToFloat(0x0001)).isEqualTo(0x1p-24f);
    assertThat(FloatCodec.halfToFloat(0x03FF)).isEqualTo(1023 * 0x1p-24f);
    assertThat(FloatCodec.halfToFloat(0x0400)).isEqualTo(0x1p-14f);
    assertThat(FloatCodec.halfToFloat(0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(FloatCodec.halfToFloat(0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(FloatCodec.halfToFloat(0x7E00)).isNaN();
    assertThat(Float.floatToRawIntBits(FloatCodec.halfToFloat(0x8000))).isEqualTo(0x80000000);
  }

  @Test
  void bf16IsTheUpperHalfOfAFloat() {
    for (int b = 0; b < 1 << 16; b++) {
      assertThat(Float.floatToRawIntBits(FloatCodec.bf16ToFloat(b))).isEqualTo(b << 16);
    }
  }

  @Test
  void floatToBf16RoundsToNearestEven() {
    assertThat(FloatCodec.floatToBf16(1.0f)).isEqualTo((short) 0x3F80);
    assertThat(FloatCodec.floatToBf16(1 + 0x1p-7f)).isEqualTo((short) 0x3F81); // exact
    assertThat(FloatCodec.floatToBf16(1 + 0x1p-8f)).isEqualTo((short) 0x3F80); // tie, down to even
    assertThat(FloatCodec.floatToBf16(1 + 0x1p-7f + 0x1p-8f)).isEqualTo((short) 0x3F82); // tie, up to even
    assertThat(FloatCodec.floatToBf16(1 + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81); // above the tie
    assertThat(FloatCodec.floatToBf16(-1 - 0x1p-8f - 0x1p-20f)).isEqualTo((short) 0xBF81);
    assertThat(FloatCodec.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80); // overflows to infinity
    assertThat(FloatCodec.floatToBf16(Float.intBitsToFloat(0x7F7F7FFF))).isEqualTo((short) 0x7F7F); // below the tie
    assertThat(FloatCodec.floatToBf16(Float.intBitsToFloat(0x7F7F8000))).isEqualTo((short) 0x7F80); // tie, to even
    assertThat(FloatCodec.floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
    assertThat(FloatCodec.floatToBf16(-0.0f)).isEqualTo((short) 0x8000);
    assertThat(FloatCodec.floatToBf16(Float.MIN_VALUE)).isEqualTo((short) 0x0000);
    assertThat(FloatCodec.floatToBf16(0x1p-133f)).isEqualTo((short) 0x0001); // smallest bf16 subnormal
    assertThat(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(Float.NaN))).isNaN();
    // a NaN whose payload sits only in the low 16 bits must not round to infinity
    assertThat(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(Float.intBitsToFloat(0x7F800001)))).isNaN();
    assertThat(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(Float.intBitsToFloat(0xFF800001)))).isNaN();
  }

  @Test
  void bf16RoundingPicksTheNearerNeighbour() {
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 100_000; i++) {
      float f = Float.intBitsToFloat(random.nextInt());
      if (Float.isNaN(f) || Math.abs(f) >= Float.intBitsToFloat(0x7F7F8000)) {
        continue; // NaN, and magnitudes from halfway above the largest finite bf16: those round to infinity
      }
      float rounded = FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(f));
      int bits = Float.floatToRawIntBits(f);
      float down = Float.intBitsToFloat(bits & 0xFFFF0000);
      float up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
      double errRounded = Math.abs((double) rounded - f);
      assertThat(errRounded).as("%s", f)
          .isLessThanOrEqualTo(Math.min(Math.abs((double) down - f), Math.abs((double) up - f)));
    }
  }

  @Test
  void decodeAndEncodeRespectOffsetsAndPositions() {
    ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN); // order of the caller's buffer is ignored
    buf.position(4);
    FloatCodec.encode(DType.BF16, new float[] {9f, 1f, -2f, 9f}, 1, 2, buf);
    assertThat(buf.position()).isEqualTo(8);
    assertThat(buf.get(4)).isEqualTo((byte) 0x80); // little-endian 0x3F80
    assertThat(buf.get(5)).isEqualTo((byte) 0x3F);
    buf.position(4);
    float[] out = new float[4];
    FloatCodec.decode(DType.BF16, buf, out, 2, 2);
    assertThat(out).containsExactly(0f, 0f, 1f, -2f);
    assertThat(buf.position()).isEqualTo(4);
  }
}
