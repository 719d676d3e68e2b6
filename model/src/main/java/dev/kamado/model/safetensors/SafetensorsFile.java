package dev.kamado.model.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One safetensors file, memory-mapped. Opening reads and validates only the header; tensor data is mapped and
 * converted when asked for, in windows of at most 1 GiB, so reading a model never needs the file's size in heap on
 * top of the arrays the caller asks for.
 */
public final class SafetensorsFile implements TensorSource {

  /** Headers larger than this are refused (the reference implementation uses the same limit). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final long DEFAULT_WINDOW_BYTES = 1L << 30;

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final HeaderCodec.Header header;
  private final SortedSet<String> names;
  private final long windowBytes;

  private SafetensorsFile(Path file, FileChannel channel, long dataStart, HeaderCodec.Header header,
      long windowBytes) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.header = header;
    this.names = Collections.unmodifiableSortedSet(new TreeSet<>(header.tensors().keySet()));
    this.windowBytes = windowBytes;
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @throws SafetensorsException when the header is invalid (the message names the file and the tensor)
   * @throws IOException when the file cannot be read
   */
  public static SafetensorsFile open(Path file) throws IOException {
    return open(file, DEFAULT_WINDOW_BYTES);
  }

  /** As {@link #open(Path)}, converting through mapped windows of at most {@code windowBytes} bytes. */
  static SafetensorsFile open(Path file, long windowBytes) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = channel.size();
      if (size < 8) {
        throw new SafetensorsException(file, "file is " + size + " bytes, too short for the 8-byte header length");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.getLong(0);
      if (headerLength < 0 || headerLength > size - 8) {
        throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLength)
            + " is beyond the file size " + size);
      }
      if (headerLength > MAX_HEADER_BYTES) {
        throw new SafetensorsException(file, "header length " + headerLength + " exceeds the limit of "
            + MAX_HEADER_BYTES + " bytes");
      }
      ByteBuffer json = ByteBuffer.allocate((int) headerLength);
      readFully(channel, json, 8);
      long dataStart = 8 + headerLength;
      HeaderCodec.Header header = HeaderCodec.parse(file, json.array(), size - dataStart);
      return new SafetensorsFile(file, channel, dataStart, header, windowBytes);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** The file this instance reads. */
  public Path file() {
    return file;
  }

  @Override
  public SortedSet<String> names() {
    return names;
  }

  @Override
  public TensorInfo info(String name) {
    TensorInfo t = header.tensors().get(name);
    if (t == null) {
      throw new NoSuchElementException(file + ": no tensor '" + name + "'");
    }
    return t;
  }

  @Override
  public Map<String, String> metadata() {
    return header.metadata();
  }

  @Override
  public float[] floats(String name) throws IOException {
    TensorInfo t = floatTensor(name);
    float[] out = new float[arrayLength(t)];
    readFloats(name, out, 0);
    return out;
  }

  @Override
  public void readFloats(String name, float[] dst, int offset) throws IOException {
    TensorInfo t = floatTensor(name);
    long n = t.elementCount();
    if (offset < 0 || n > dst.length - (long) offset) {
      throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + n + " elements, no room for them in "
          + "an array of " + dst.length + " from offset " + offset);
    }
    int size = t.dtype().byteSize();
    long perWindow = Math.max(1, windowBytes / size);
    for (long done = 0; done < n; ) {
      int count = (int) Math.min(perWindow, n - done);
      ByteBuffer window = map(dataStart + t.begin() + done * size, (long) count * size);
      FloatCodec.decode(t.dtype(), window, dst, offset + (int) done, count);
      done += count;
    }
  }

  @Override
  public long[] longs(String name) throws IOException {
    TensorInfo t = info(name);
    if (!t.dtype().isInteger()) {
      throw new SafetensorsException(file, "tensor '" + name + "' has dtype " + t.dtype() + ", not an integer type");
    }
    long[] out = new long[arrayLength(t)];
    int size = t.dtype().byteSize();
    long perWindow = Math.max(1, windowBytes / size);
    for (long done = 0; done < out.length; ) {
      int count = (int) Math.min(perWindow, out.length - done);
      ByteBuffer window = map(dataStart + t.begin() + done * size, (long) count * size);
      FloatCodec.decodeLongs(t.dtype(), window, out, (int) done, count);
      done += count;
    }
    return out;
  }

  @Override
  public ByteBuffer bytes(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.byteLength() > Integer.MAX_VALUE) {
      throw new SafetensorsException(file, "tensor '" + name + "' is " + t.byteLength()
          + " bytes, more than one buffer can map");
    }
    return map(dataStart + t.begin(), t.byteLength());
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private TensorInfo floatTensor(String name) throws SafetensorsException {
    TensorInfo t = info(name);
    if (!t.dtype().isFloat()) {
      throw new SafetensorsException(file, "tensor '" + name + "' has dtype " + t.dtype()
          + ", not a float type (F32, F16, BF16)");
    }
    return t;
  }

  private int arrayLength(TensorInfo t) throws SafetensorsException {
    long n = t.elementCount();
    if (n > Integer.MAX_VALUE - 8) {
      throw new SafetensorsException(file, "tensor '" + t.name() + "' has " + n
          + " elements, more than one Java array holds");
    }
    return (int) n;
  }

  private ByteBuffer map(long position, long length) throws IOException {
    return channel.map(FileChannel.MapMode.READ_ONLY, position, length).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
    while (dst.hasRemaining()) {
      int n = channel.read(dst, position + dst.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }
}
