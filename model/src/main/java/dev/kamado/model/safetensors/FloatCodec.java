package dev.kamado.model.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Exact conversions between {@code float} and the 16-bit float formats, and bulk decoding/encoding of little-endian
 * tensor data held in a {@link ByteBuffer}.
 *
 * <p>F16 to F32 and BF16 to F32 are exact (every half and bfloat16 value, subnormals, infinities and NaN payloads
 * included, is representable as a float). F32 to BF16 rounds to nearest, ties to even, as PyTorch does; NaN stays a
 * (quiet) NaN with its sign.
 */
public final class FloatCodec {

  /** F16 bit pattern to float, for all 65536 patterns (256 KiB, built once). */
  private static final float[] HALF_TO_FLOAT = new float[1 << 16];

  static {
    for (int h = 0; h < HALF_TO_FLOAT.length; h++) {
      HALF_TO_FLOAT[h] = computeHalfToFloat(h);
    }
  }

  private FloatCodec() {
  }

  /** The float value of an IEEE 754 half-precision bit pattern (the low 16 bits of {@code bits}). */
  public static float halfToFloat(int bits) {
    return HALF_TO_FLOAT[bits & 0xFFFF];
  }

  /** The float value of a bfloat16 bit pattern (the low 16 bits of {@code bits}): those bits shifted up by 16. */
  public static float bf16ToFloat(int bits) {
    return Float.intBitsToFloat(bits << 16);
  }

  /** The bfloat16 bit pattern nearest to {@code value}, ties to even; finite values too large round to infinity. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & 0x7FFFFFFF) > 0x7F800000) {
      return (short) ((bits >>> 16) | 0x0040); // NaN: keep sign and top payload bits, force quiet
    }
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }

  /**
   * Decodes {@code count} elements of {@code dtype} from {@code src} (starting at its position, read as little-endian)
   * into {@code dst[offset..offset+count)}. The position of {@code src} is not changed.
   *
   * @throws IllegalArgumentException when {@code dtype} is not F32, F16 or BF16
   */
  public static void decode(DType dtype, ByteBuffer src, float[] dst, int offset, int count) {
    ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32:
        le.asFloatBuffer().get(dst, offset, count);
        break;
      case BF16: {
        ShortBuffer s = le.asShortBuffer();
        for (int i = 0; i < count; i++) {
          dst[offset + i] = Float.intBitsToFloat(s.get(i) << 16);
        }
        break;
      }
      case F16: {
        ShortBuffer s = le.asShortBuffer();
        for (int i = 0; i < count; i++) {
          dst[offset + i] = HALF_TO_FLOAT[s.get(i) & 0xFFFF];
        }
        break;
      }
      default:
        throw new IllegalArgumentException("cannot decode " + dtype + " as float");
    }
  }

  /**
   * Widens {@code count} BF16 elements from {@code src} (little-endian, from its position) into {@code dst} at indices
   * {@code 0..count)}, without intermediate arrays. Neither buffer's position changes.
   */
  public static void widenBf16(ByteBuffer src, FloatBuffer dst, int count) {
    ShortBuffer s = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    for (int i = 0; i < count; i++) {
      dst.put(i, Float.intBitsToFloat(s.get(i) << 16));
    }
  }

  /**
   * Encodes {@code src[offset..offset+count)} as {@code dtype} (F32 or BF16, little-endian) into {@code dst} at its
   * position, and advances the position past the written bytes.
   *
   * @throws IllegalArgumentException when {@code dtype} is not F32 or BF16
   */
  public static void encode(DType dtype, float[] src, int offset, int count, ByteBuffer dst) {
    ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32:
        le.asFloatBuffer().put(src, offset, count);
        break;
      case BF16: {
        ShortBuffer s = le.asShortBuffer();
        for (int i = 0; i < count; i++) {
          s.put(i, floatToBf16(src[offset + i]));
        }
        break;
      }
      default:
        throw new IllegalArgumentException("cannot encode float data as " + dtype + " (F32 and BF16 are supported)");
    }
    dst.position(dst.position() + count * dtype.byteSize());
  }

  /**
   * Decodes {@code count} integer elements of {@code dtype} from {@code src} (little-endian, from its position) into
   * {@code dst[offset..offset+count)}. Unsigned types are zero-extended.
   *
   * @throws IllegalArgumentException when {@code dtype} is not an integer type that fits a {@code long}
   */
  public static void decodeLongs(DType dtype, ByteBuffer src, long[] dst, int offset, int count) {
    ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int base = le.position();
    switch (dtype) {
      case I64:
        le.asLongBuffer().get(dst, offset, count);
        break;
      case I32:
        for (int i = 0; i < count; i++) {
          dst[offset + i] = le.getInt(base + 4 * i);
        }
        break;
      case U32:
        for (int i = 0; i < count; i++) {
          dst[offset + i] = Integer.toUnsignedLong(le.getInt(base + 4 * i));
        }
        break;
      case I16:
        for (int i = 0; i < count; i++) {
          dst[offset + i] = le.getShort(base + 2 * i);
        }
        break;
      case U16:
        for (int i = 0; i < count; i++) {
          dst[offset + i] = le.getShort(base + 2 * i) & 0xFFFF;
        }
        break;
      case I8:
        for (int i = 0; i < count; i++) {
          dst[offset + i] = le.get(base + i);
        }
        break;
      case U8:
        for (int i = 0; i < count; i++) {
          dst[offset + i] = le.get(base + i) & 0xFF;
        }
        break;
      default:
        throw new IllegalArgumentException("cannot decode " + dtype + " as long");
    }
  }

  private static float computeHalfToFloat(int h) {
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13)); // infinity, or NaN with its payload
    }
    if (exponent == 0) {
      float magnitude = mantissa * 0x1p-24f; // zero or subnormal: exact, mantissa < 2^10
      return sign != 0 ? -magnitude : magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
}
