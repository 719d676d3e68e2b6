package dev.kamado.model.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Parses and writes the JSON header of a safetensors file, with the format's validation rules. */
final class HeaderCodec {

  /** Name of the optional string map in the header. */
  static final String METADATA = "__metadata__";

  static final ObjectMapper JSON = new ObjectMapper();

  /** A parsed header: metadata and tensors, both sorted by key. */
  record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors) {
  }

  private HeaderCodec() {
  }

  /**
   * Parses and validates a header.
   *
   * @param file the file, for messages
   * @param json the header bytes (UTF-8 JSON, possibly padded with spaces)
   * @param dataSize size of the data section that follows the header
   */
  static Header parse(Path file, byte[] json, long dataSize) throws SafetensorsException {
    Map<String, String> metadata = new TreeMap<>();
    Map<String, TensorInfo> tensors = new TreeMap<>();
    boolean sawMetadata = false;
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new SafetensorsException(file, "header is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        JsonNode value = p.readValueAsTree();
        if (METADATA.equals(name)) {
          if (sawMetadata) {
            throw new SafetensorsException(file, "duplicate " + METADATA + " in header");
          }
          sawMetadata = true;
          readMetadata(file, value, metadata);
        } else {
          if (tensors.containsKey(name)) {
            throw new SafetensorsException(file, "duplicate tensor name '" + name + "' in header");
          }
          tensors.put(name, readTensor(file, name, value, dataSize));
        }
      }
      if (p.nextToken() != null) {
        throw new SafetensorsException(file, "header is not valid JSON: content after the closing brace");
      }
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (SafetensorsException e) {
      throw e;
    } catch (IOException e) {
      throw new SafetensorsException(file, "header is not valid JSON: " + e.getMessage(), e);
    }
    checkOverlaps(file, tensors);
    return new Header(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
  }

  private static void readMetadata(Path file, JsonNode value, Map<String, String> out) throws SafetensorsException {
    if (!value.isObject()) {
      throw new SafetensorsException(file, METADATA + " must be an object of strings, got " + value.getNodeType());
    }
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      if (!e.getValue().isTextual()) {
        throw new SafetensorsException(file,
            METADATA + " value of '" + e.getKey() + "' must be a string, got " + e.getValue().getNodeType());
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
  }

  private static TensorInfo readTensor(Path file, String name, JsonNode value, long dataSize)
      throws SafetensorsException {
    String where = "tensor '" + name + "': ";
    if (!value.isObject()) {
      throw new SafetensorsException(file, where + "entry must be an object, got " + value.getNodeType());
    }
    JsonNode dtypeNode = value.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new SafetensorsException(file, where + "missing string field 'dtype'");
    }
    DType dtype = DType.fromHeaderName(dtypeNode.textValue());
    if (dtype == null) {
      throw new SafetensorsException(file, where + "unknown dtype '" + dtypeNode.textValue() + "'");
    }
    long[] shape = longArray(file, where, value, "shape", -1);
    long[] offsets = longArray(file, where, value, "data_offsets", 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end || end > dataSize) {
      throw new SafetensorsException(file, where + "data_offsets [" + begin + ", " + end
          + "] out of range: the data section is " + dataSize + " bytes");
    }
    long expected;
    try {
      expected = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new SafetensorsException(file, where + "shape " + Arrays.toString(shape) + " overflows");
    }
    if (end - begin != expected) {
      throw new SafetensorsException(file, where + "dtype " + dtype + " and shape " + Arrays.toString(shape) + " need "
          + expected + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  /** Reads a non-negative integer array field; {@code length} -1 accepts any length. */
  private static long[] longArray(Path file, String where, JsonNode entry, String field, int length)
      throws SafetensorsException {
    JsonNode node = entry.get(field);
    String problem = where + "'" + field + "' must be an array of " + (length >= 0 ? length + " " : "")
        + "non-negative integers, got " + node;
    if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
      throw new SafetensorsException(file, problem);
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode n = node.get(i);
      if (!n.isNumber() || !n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() < 0) {
        throw new SafetensorsException(file, problem);
      }
      out[i] = n.asLong();
    }
    return out;
  }

  private static void checkOverlaps(Path file, Map<String, TensorInfo> tensors) throws SafetensorsException {
    List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
    byOffset.removeIf(t -> t.begin() == t.end()); // empty tensors occupy no bytes
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparing(TensorInfo::name));
    for (int i = 1; i < byOffset.size(); i++) {
      TensorInfo prev = byOffset.get(i - 1);
      TensorInfo cur = byOffset.get(i);
      if (cur.begin() < prev.end()) {
        throw new SafetensorsException(file, "tensors '" + prev.name() + "' [" + prev.begin() + ", " + prev.end()
            + "] and '" + cur.name() + "' [" + cur.begin() + ", " + cur.end() + "] overlap");
      }
    }
  }

  /**
   * Serialises a header: {@code __metadata__} first (when not empty), then the tensors in the iteration order of
   * {@code tensors}, padded with spaces to a multiple of 8 bytes so that the data section starts aligned.
   */
  static byte[] write(Map<String, String> metadata, List<TensorInfo> tensors) {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = root.putObject(METADATA);
      new TreeMap<>(metadata).forEach(m::put);
    }
    for (TensorInfo t : tensors) {
      ObjectNode e = root.putObject(t.name());
      e.put("dtype", t.dtype().name());
      ArrayNode shape = e.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      e.putArray("data_offsets").add(t.begin()).add(t.end());
    }
    byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) & ~7;
    byte[] out = Arrays.copyOf(json, padded);
    Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }
}
