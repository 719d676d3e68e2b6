package dev.kamado.model.safetensors;

import dev.kamado.model.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes a safetensors file atomically and deterministically.
 *
 * <p>Tensors are written sorted by name (header order and data order), the header is padded with spaces to a
 * multiple of 8 bytes, and metadata is sorted by key, so the same tensors always give byte-identical files (a stable
 * sha256). Data suppliers are called one at a time during {@link #write(Path)}, so a caller need not hold converted
 * copies of every tensor at once. The file is written under a temporary name in the target folder, forced to disk,
 * then renamed over the target: a crash or a failing supplier never leaves a partial file under the final name, and
 * an existing file there stays intact until the rename.
 *
 * <p>The metadata starts as {@code {"format": "pt"}}, which Hugging Face {@code transformers} expects.
 */
public final class SafetensorsWriter {

  private static final int CHUNK_BYTES = 1 << 20;

  private final Map<String, String> metadata = new TreeMap<>();
  private final Map<String, Entry> entries = new TreeMap<>();

  /** A tensor to write: its data comes either from {@code floats} or, verbatim, from {@code raw}. */
  private record Entry(String name, DType dtype, long[] shape, Supplier<float[]> floats, Supplier<ByteBuffer> raw) {
  }

  /** A writer with metadata {@code {"format": "pt"}} and no tensors. */
  public SafetensorsWriter() {
    metadata.put("format", "pt");
  }

  /** Sets a metadata entry (replacing an earlier value for the key). */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** Removes a metadata entry, {@code format} included. */
  public SafetensorsWriter removeMetadata(String key) {
    metadata.remove(key);
    return this;
  }

  /**
   * Adds a tensor from float data, stored as {@code dtype} (F32, or BF16 rounded to nearest even).
   *
   * @throws IllegalArgumentException when the name is empty, reserved or already added, the dtype is not F32/BF16, a
   *     dimension is negative, or the array length does not match the shape
   */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] data) {
    checkCount(name, shape, data.length);
    return add(name, dtype, shape, () -> data);
  }

  /**
   * Adds a tensor whose float data is produced by {@code data} when the file is written.
   *
   * @throws IllegalArgumentException as {@link #add(String, DType, long[], float[])}
   */
  public SafetensorsWriter add(String name, DType dtype, long[] shape, Supplier<float[]> data) {
    if (dtype != DType.F32 && dtype != DType.BF16) {
      throw new IllegalArgumentException("tensor '" + name + "': cannot write float data as " + dtype
          + " (F32 and BF16 are supported)");
    }
    put(new Entry(name, dtype, shape.clone(), data, null));
    return this;
  }

  /**
   * Adds a tensor of any dtype whose little-endian bytes are produced by {@code data} (from its position to its
   * limit) when the file is written; the byte count must equal the shape's element count times the dtype size.
   */
  public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, Supplier<ByteBuffer> data) {
    put(new Entry(name, dtype, shape.clone(), null, data));
    return this;
  }

  private void put(Entry e) {
    if (e.name().isEmpty() || HeaderCodec.METADATA.equals(e.name())) {
      throw new IllegalArgumentException("invalid tensor name '" + e.name() + "'");
    }
    if (entries.containsKey(e.name())) {
      throw new IllegalArgumentException("duplicate tensor name '" + e.name() + "'");
    }
    for (long d : e.shape()) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor '" + e.name() + "': negative dimension in shape "
            + Arrays.toString(e.shape()));
      }
    }
    entries.put(e.name(), e);
  }

  /**
   * Writes the file atomically: temporary file in the same folder, fsync, rename over {@code target}, fsync of the
   * folder. On any failure the temporary file is removed and {@code target} is left as it was.
   *
   * @throws IOException when writing fails, or a supplier's data does not match its tensor's shape
   */
  public void write(Path target) throws IOException {
    List<TensorInfo> layout = layout();
    byte[] header = HeaderCodec.write(metadata, layout);
    AtomicFiles.write(target, out -> {
      ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      chunk.putLong(header.length).flip();
      AtomicFiles.writeFully(out, chunk);
      AtomicFiles.writeFully(out, ByteBuffer.wrap(header));
      for (TensorInfo t : layout) {
        writeData(out, t, entries.get(t.name()), chunk);
      }
    });
  }

  private List<TensorInfo> layout() {
    List<TensorInfo> out = new ArrayList<>(entries.size());
    long offset = 0;
    for (Entry e : entries.values()) {
      long bytes;
      try {
        bytes = Math.multiplyExact(TensorInfo.elementCount(e.shape()), e.dtype().byteSize());
      } catch (ArithmeticException ex) {
        throw new IllegalArgumentException("tensor '" + e.name() + "': shape " + Arrays.toString(e.shape())
            + " overflows");
      }
      out.add(new TensorInfo(e.name(), e.dtype(), e.shape(), offset, offset + bytes));
      offset += bytes;
    }
    return out;
  }

  private static void writeData(FileChannel out, TensorInfo t, Entry e, ByteBuffer chunk) throws IOException {
    if (e.raw() != null) {
      ByteBuffer data = e.raw().get().duplicate();
      if (data.remaining() != t.byteLength()) {
        throw new IOException("tensor '" + t.name() + "': " + t.dtype() + Arrays.toString(e.shape()) + " needs "
            + t.byteLength() + " bytes but the data has " + data.remaining());
      }
      AtomicFiles.writeFully(out, data);
      return;
    }
    float[] data = e.floats().get();
    checkCountIo(t, data.length);
    int size = t.dtype().byteSize();
    int perChunk = CHUNK_BYTES / size;
    for (int done = 0; done < data.length; ) {
      int count = Math.min(perChunk, data.length - done);
      chunk.clear();
      FloatCodec.encode(t.dtype(), data, done, count, chunk);
      chunk.flip();
      AtomicFiles.writeFully(out, chunk);
      done += count;
    }
  }

  private static void checkCount(String name, long[] shape, int length) {
    long expected = TensorInfo.elementCount(shape);
    if (expected != length) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
          + expected + " elements but the data has " + length);
    }
  }

  private static void checkCountIo(TensorInfo t, int length) throws IOException {
    if (t.elementCount() != length) {
      throw new IOException("tensor '" + t.name() + "': shape " + Arrays.toString(t.shape()) + " has "
          + t.elementCount() + " elements but the data has " + length);
    }
  }
}
