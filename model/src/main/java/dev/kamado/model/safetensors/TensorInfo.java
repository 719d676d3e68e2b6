package dev.kamado.model.safetensors;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name the tensor name, for example {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the element type
 * @param shape the dimensions, outermost first; empty for a scalar
 * @param begin first byte of the data, relative to the start of the data section
 * @param end one past the last byte of the data, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  /** Copies {@code shape} so that the record stays immutable. */
  public TensorInfo {
    shape = shape.clone();
  }

  /** A copy of the dimensions. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements: the product of the dimensions (1 for a scalar). */
  public long elementCount() {
    return elementCount(shape);
  }

  /** Number of data bytes, {@code end - begin}. */
  public long byteLength() {
    return end - begin;
  }

  /**
   * The product of {@code shape}.
   *
   * @throws ArithmeticException when the product overflows a {@code long}
   */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
        && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape) + Long.hashCode(begin) * 7
        + Long.hashCode(end);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
  }
}
