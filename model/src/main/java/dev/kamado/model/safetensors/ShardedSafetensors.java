package dev.kamado.model.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A model split over several safetensors files, described by a Hugging Face index
 * ({@code model.safetensors.index.json}: {@code {"metadata": {...}, "weight_map": {tensor: shard file}}}). The
 * tensors are those of the {@code weight_map}; each is read from the shard the map names.
 */
public final class ShardedSafetensors implements TensorSource {

  /** Conventional file name of the index. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path index;
  private final Map<String, String> metadata;
  private final Map<String, SafetensorsFile> shardOf;
  private final Map<String, SafetensorsFile> shards;
  private final SortedSet<String> names;

  private ShardedSafetensors(Path index, Map<String, String> metadata, Map<String, SafetensorsFile> shardOf,
      Map<String, SafetensorsFile> shards) {
    this.index = index;
    this.metadata = metadata;
    this.shardOf = shardOf;
    this.shards = shards;
    this.names = Collections.unmodifiableSortedSet(new TreeSet<>(shardOf.keySet()));
  }

  /**
   * Opens an index and every shard it names, and checks that each shard holds the tensors the index assigns to it.
   *
   * @throws SafetensorsException when the index or a shard is invalid
   */
  public static ShardedSafetensors open(Path index) throws IOException {
    JsonNode root;
    try {
      root = HeaderCodec.JSON.readTree(Files.readAllBytes(index));
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(index, "index is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException(index, "index is not a JSON object");
    }
    JsonNode weightMap = root.get("weight_map");
    if (weightMap == null || !weightMap.isObject()) {
      throw new SafetensorsException(index, "missing object field 'weight_map'");
    }
    Map<String, String> metadata = new TreeMap<>();
    JsonNode meta = root.get("metadata");
    if (meta != null && meta.isObject()) {
      for (Map.Entry<String, JsonNode> e : meta.properties()) {
        metadata.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
      }
    }
    Path dir = index.toAbsolutePath().getParent();
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    Map<String, SafetensorsFile> shardOf = new TreeMap<>();
    try {
      for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
        String tensor = e.getKey();
        if (!e.getValue().isTextual()) {
          throw new SafetensorsException(index, "weight_map entry '" + tensor + "' must name a shard file");
        }
        String shardName = e.getValue().textValue();
        SafetensorsFile shard = shards.get(shardName);
        if (shard == null) {
          shard = openShard(index, dir, tensor, shardName);
          shards.put(shardName, shard);
        }
        if (!shard.contains(tensor)) {
          throw new SafetensorsException(index, "weight_map puts tensor '" + tensor + "' in shard '" + shardName
              + "' but that file has no such tensor");
        }
        shardOf.put(tensor, shard);
      }
    } catch (IOException | RuntimeException e) {
      for (SafetensorsFile s : shards.values()) {
        try {
          s.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    return new ShardedSafetensors(index, Collections.unmodifiableMap(metadata), shardOf,
        Collections.unmodifiableMap(shards));
  }

  private static SafetensorsFile openShard(Path index, Path dir, String tensor, String shardName)
      throws IOException {
    Path shardPath = dir.resolve(shardName).normalize();
    if (!shardPath.getParent().equals(dir.normalize())) {
      throw new SafetensorsException(index, "weight_map entry '" + tensor + "' names shard '" + shardName
          + "' outside the index's folder");
    }
    if (!Files.isRegularFile(shardPath)) {
      throw new SafetensorsException(index, "shard '" + shardName + "' (for tensor '" + tensor
          + "') does not exist");
    }
    return SafetensorsFile.open(shardPath);
  }

  /** The index file. */
  public Path index() {
    return index;
  }

  /** The shard files by the names the index uses, in first-use order. */
  public Map<String, SafetensorsFile> shards() {
    return shards;
  }

  @Override
  public SortedSet<String> names() {
    return names;
  }

  @Override
  public TensorInfo info(String name) {
    return shard(name).info(name);
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public float[] floats(String name) throws IOException {
    return shard(name).floats(name);
  }

  @Override
  public void readFloats(String name, float[] dst, int offset) throws IOException {
    shard(name).readFloats(name, dst, offset);
  }

  @Override
  public long[] longs(String name) throws IOException {
    return shard(name).longs(name);
  }

  @Override
  public ByteBuffer bytes(String name) throws IOException {
    return shard(name).bytes(name);
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (SafetensorsFile s : shards.values()) {
      try {
        s.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private SafetensorsFile shard(String name) {
    SafetensorsFile s = shardOf.get(name);
    if (s == null) {
      throw new NoSuchElementException(index + ": no tensor '" + name + "' in weight_map");
    }
    return s;
  }
}
