package dev.kamado.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedSafetensorsTest {

  @TempDir
  Path dir;

  @BeforeEach
  void writeShards() throws IOException {
    new SafetensorsWriter()
        .add("model.embed_tokens.weight", DType.BF16, new long[] {4, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})
        .add("model.norm.weight", DType.F32, new long[] {2}, new float[] {0.5f, 0.25f})
        .write(dir.resolve("model-00001-of-00002.safetensors"));
    new SafetensorsWriter()
        .add("lm_head.weight", DType.F32, new long[] {4, 2}, new float[] {-1, -2, -3, -4, -5, -6, -7, -8})
        .add("unlisted", DType.F32, new long[] {1}, new float[] {9})
        .write(dir.resolve("model-00002-of-00002.safetensors"));
  }

  private void writeIndex(String weightMap) throws IOException {
    Files.writeString(dir.resolve(ShardedSafetensors.INDEX_FILE),
        "{\"metadata\": {\"total_size\": 56}, \"weight_map\": {" + weightMap + "}}");
  }

  private static final String GOOD_MAP = "\"lm_head.weight\": \"model-00002-of-00002.safetensors\","
      + "\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\","
      + "\"model.norm.weight\": \"model-00001-of-00002.safetensors\"";

  @Test
  void readsTensorsFromTheirShards() throws IOException {
    writeIndex(GOOD_MAP);
    try (TensorSource source = Safetensors.open(dir)) {
      assertThat(source).isInstanceOf(ShardedSafetensors.class);
      assertThat(source.names()).containsExactly("lm_head.weight", "model.embed_tokens.weight", "model.norm.weight");
      assertThat(source.floats("model.embed_tokens.weight")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
      assertThat(source.floats("lm_head.weight")).containsExactly(-1, -2, -3, -4, -5, -6, -7, -8);
      assertThat(source.info("model.norm.weight").dtype()).isEqualTo(DType.F32);
      assertThat(source.metadata()).containsEntry("total_size", "56");
      assertThat(source.contains("unlisted")).isFalse();
      assertThat(((ShardedSafetensors) source).shards()).hasSize(2);
    }
    try (TensorSource viaIndex = Safetensors.open(dir.resolve(ShardedSafetensors.INDEX_FILE))) {
      assertThat(viaIndex.floats("model.norm.weight")).containsExactly(0.5f, 0.25f);
    }
  }

  @Test
  void singleFileFolder() throws IOException {
    Path single = dir.resolve("single");
    Files.createDirectory(single);
    new SafetensorsWriter().add("w", DType.F32, new long[] {1}, new float[] {3}).write(
        single.resolve(Safetensors.MODEL_FILE));
    try (TensorSource source = Safetensors.open(single)) {
      assertThat(source).isInstanceOf(SafetensorsFile.class);
      assertThat(source.floats("w")).containsExactly(3f);
    }
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertThatThrownBy(() -> Safetensors.open(empty)).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("folder holds neither model.safetensors.index.json nor model.safetensors");
  }

  @Test
  void tensorMissingFromItsShard() throws IOException {
    writeIndex("\"model.norm.weight\": \"model-00002-of-00002.safetensors\"");
    assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessage(dir.resolve(ShardedSafetensors.INDEX_FILE) + ": weight_map puts tensor 'model.norm.weight' in "
            + "shard 'model-00002-of-00002.safetensors' but that file has no such tensor");
  }

  @Test
  void missingShardFile() throws IOException {
    writeIndex("\"x\": \"model-00003-of-00003.safetensors\"");
    assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessage(dir.resolve(ShardedSafetensors.INDEX_FILE)
            + ": shard 'model-00003-of-00003.safetensors' (for tensor 'x') does not exist");
  }

  @Test
  void shardOutsideTheFolder() throws IOException {
    writeIndex("\"x\": \"../elsewhere.safetensors\"");
    assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageEndingWith(": weight_map entry 'x' names shard '../elsewhere.safetensors' outside the index's "
            + "folder");
  }

  @Test
  void indexWithoutWeightMap() throws IOException {
    Files.writeString(dir.resolve(ShardedSafetensors.INDEX_FILE), "{\"metadata\": {}}");
    assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageEndingWith(": missing object field 'weight_map'");
    Files.writeString(dir.resolve(ShardedSafetensors.INDEX_FILE), "{\"weight_map\": ");
    assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageContaining(": index is not valid JSON: ");
  }
}
