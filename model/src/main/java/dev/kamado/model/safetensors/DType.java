package dev.kamado.model.safetensors;

import java.util.HashMap;
import java.util.Map;

/**
 * Element types of the safetensors format, named as they appear in the header ({@code "dtype": "BF16"}).
 *
 * <p>Every type can be read from a header; {@link #F32}, {@link #F16} and {@link #BF16} can be converted to
 * {@code float}, the integer types to {@code long}.
 */
public enum DType {
  /** Boolean, one byte per element. */
  BOOL(1),
  /** Unsigned 8-bit integer. */
  U8(1),
  /** Signed 8-bit integer. */
  I8(1),
  /** 8-bit float, 5 exponent bits, 2 mantissa bits. */
  F8_E5M2(1),
  /** 8-bit float, 4 exponent bits, 3 mantissa bits. */
  F8_E4M3(1),
  /** Signed 16-bit integer. */
  I16(2),
  /** Unsigned 16-bit integer. */
  U16(2),
  /** IEEE 754 half precision. */
  F16(2),
  /** bfloat16: the upper 16 bits of an IEEE 754 single. */
  BF16(2),
  /** Signed 32-bit integer. */
  I32(4),
  /** Unsigned 32-bit integer. */
  U32(4),
  /** IEEE 754 single precision. */
  F32(4),
  /** IEEE 754 double precision. */
  F64(8),
  /** Signed 64-bit integer. */
  I64(8),
  /** Unsigned 64-bit integer. */
  U64(8);

  private static final Map<String, DType> BY_NAME = new HashMap<>();

  static {
    for (DType t : values()) {
      BY_NAME.put(t.name(), t);
    }
  }

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** Whether {@link TensorSource#floats(String)} can convert this type. */
  public boolean isFloat() {
    return this == F32 || this == F16 || this == BF16;
  }

  /** Whether {@link TensorSource#longs(String)} can convert this type. */
  public boolean isInteger() {
    return this == I8 || this == U8 || this == I16 || this == U16 || this == I32 || this == U32 || this == I64;
  }

  /**
   * The type with the given header name.
   *
   * @return the type, or {@code null} when the name is not a safetensors dtype
   */
  public static DType fromHeaderName(String name) {
    return BY_NAME.get(name);
  }
}
