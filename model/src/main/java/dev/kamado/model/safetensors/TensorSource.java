package dev.kamado.model.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.SortedSet;

/**
 * Read access to named tensors: one safetensors file ({@link SafetensorsFile}) or a sharded model
 * ({@link ShardedSafetensors}). Data is memory-mapped, never read whole into the heap, and converted on demand.
 *
 * <p>Instances are safe for concurrent reads. Buffers returned by {@link #bytes(String)} stay valid after
 * {@link #close()}.
 */
public interface TensorSource extends AutoCloseable {

  /** Names of all tensors, sorted. */
  SortedSet<String> names();

  /** Whether a tensor of that name exists. */
  default boolean contains(String name) {
    return names().contains(name);
  }

  /**
   * The header entry of a tensor.
   *
   * @throws java.util.NoSuchElementException when there is no such tensor (the message names it and the file)
   */
  TensorInfo info(String name);

  /** The {@code __metadata__} string map of the header (for a sharded model: the index's {@code metadata}). */
  Map<String, String> metadata();

  /**
   * The tensor's elements as float32, converted exactly from F32, F16 or BF16.
   *
   * @throws SafetensorsException when the dtype is not a float type or the tensor is too large for one array
   */
  float[] floats(String name) throws IOException;

  /**
   * Decodes the tensor's elements into {@code dst} starting at {@code offset}, so that callers can reuse arrays.
   *
   * @throws SafetensorsException when the dtype is not a float type
   * @throws IllegalArgumentException when {@code dst} has no room for all elements
   */
  void readFloats(String name, float[] dst, int offset) throws IOException;

  /**
   * The tensor's elements as {@code long}, from I64, I32, U32, I16, U16, I8 or U8.
   *
   * @throws SafetensorsException when the dtype is not such an integer type
   */
  long[] longs(String name) throws IOException;

  /**
   * The tensor's raw little-endian bytes as a read-only, memory-mapped buffer (direct, little-endian order, position 0,
   * limit the byte length).
   *
   * @throws SafetensorsException when the tensor is larger than 2 GiB - 1 bytes
   */
  ByteBuffer bytes(String name) throws IOException;

  /** Releases the underlying files. */
  @Override
  void close() throws IOException;
}
