package dev.kamado.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.kamado.model.safetensors.DType;
import dev.kamado.model.safetensors.SafetensorsWriter;
import dev.kamado.model.safetensors.TensorSource;
import dev.kamado.model.safetensors.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlEngineTest {

  static Engine engine;

  @BeforeAll
  static void loadEngine() {
    engine = Engines.pytorch();
    System.out.printf("PyTorch engine %s loaded offline in %d ms; libtorch in %s; threads %s/%s%n",
        engine.getVersion(), Engines.loadTime().toMillis(), Engines.nativeLibraryDir(),
        System.getProperty(Engines.NUM_THREADS), System.getProperty(Engines.NUM_INTEROP_THREADS));
  }

  @Test
  void engineIsPyTorchAndOffline() {
    assertThat(engine.getEngineName()).isEqualTo("PyTorch");
    assertThat(System.getProperty(Engines.OFFLINE)).isEqualTo("true");
    assertThat(Engines.pytorch()).isSameAs(engine);
    assertThat(Files.isDirectory(Engines.nativeLibraryDir())).isTrue();
  }

  @Test
  void matmulAndSoftmax() {
    try (NDManager nd = engine.newBaseManager()) {
      NDArray a = nd.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
      NDArray b = nd.create(new float[] {5, 6, 7, 8}, new Shape(2, 2));
      assertThat(a.matMul(b).toFloatArray()).containsExactly(19, 22, 43, 50);
      float[] softmax = nd.create(new float[] {1, 2, 3}).softmax(0).toFloatArray();
      double sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
      for (int i = 0; i < 3; i++) {
        assertThat((double) softmax[i]).isCloseTo(Math.exp(i + 1) / sum, org.assertj.core.data.Offset.offset(1e-7));
      }
    }
  }

  @Test
  void loadsSafetensorsWithIdenticalValues(@TempDir Path dir) throws IOException {
    float[] data = new float[3 * 257];
    Random random = new Random(11);
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian() * 3;
    }
    data[0] = Float.MIN_VALUE;
    data[1] = -0f;
    data[2] = 1 + 0x1p-8f;
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter()
        .add("f32", DType.F32, new long[] {3, 257}, data)
        .add("bf16", DType.BF16, new long[] {3, 257}, data)
        .write(file);
    try (TensorSource source = Safetensors.open(dir); NDManager nd = engine.newBaseManager()) {
      NDArray f32 = NdTensors.load(nd, source, "f32");
      assertThat(f32.getDataType()).isEqualTo(DataType.FLOAT32);
      assertThat(f32.getShape()).isEqualTo(new Shape(3, 257));
      assertThat(bits(f32.toFloatArray())).containsExactly(bits(data));

      NDArray bf16 = NdTensors.load(nd, source, "bf16"); // widened: DJL's PyTorch JNI has no BFLOAT16
      assertThat(bf16.getDataType()).isEqualTo(DataType.FLOAT32);
      assertThat(bf16.getShape()).isEqualTo(new Shape(3, 257));
      float[] javaDecoded = source.floats("bf16");
      assertThat(bits(bf16.toFloatArray())).containsExactly(bits(javaDecoded));
      assertThat(javaDecoded[2]).isEqualTo(1f); // 1 + 2^-8 rounded to even

      // the loaded array owns its memory: writing to it must not touch the read-only mapping
      f32.addi(1f);
      assertThat(f32.toFloatArray()[3]).isEqualTo(data[3] + 1f);
      assertThat(source.floats("f32")[3]).isEqualTo(data[3]);
    }
  }

  @Test
  void f16KeepsItsTypeAndUnsupportedTypesAreRefused(@TempDir Path dir) throws IOException {
    java.nio.ByteBuffer half = java.nio.ByteBuffer.allocate(6).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putShort((short) 0x3C00).putShort((short) 0x0001).putShort((short) 0xFC00).flip();
    java.nio.ByteBuffer i16 = java.nio.ByteBuffer.allocate(2);
    new SafetensorsWriter().addRaw("half", DType.F16, new long[] {3}, () -> half)
        .addRaw("short", DType.I16, new long[] {1}, () -> i16).write(dir.resolve("model.safetensors"));
    try (TensorSource source = Safetensors.open(dir); NDManager nd = engine.newBaseManager()) {
      NDArray h = NdTensors.load(nd, source, "half");
      assertThat(h.getDataType()).isEqualTo(DataType.FLOAT16);
      assertThat(h.toType(DataType.FLOAT32, false).toFloatArray()).containsExactly(1f, 0x1p-24f,
          Float.NEGATIVE_INFINITY);
      assertThatThrownBy(() -> NdTensors.load(nd, source, "short")).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("DJL's PyTorch engine cannot hold safetensors dtype I16");
    }
  }

  @Test
  void settingsComeFromTheEnvironmentAndContradictionsAreRefused() {
    Engines.Settings s = Engines.Settings.from(Map.of("KAMADO_TORCH_THREADS", "2", "DJL_CACHE_DIR", "/cache"),
        null, "3");
    assertThat(s).isEqualTo(new Engines.Settings(2, 3, Path.of("/cache")));
    assertThat(Engines.Settings.from(Map.of("ENGINE_CACHE_DIR", "/e", "DJL_CACHE_DIR", "/d"), null, null))
        .isEqualTo(new Engines.Settings(1, 1, Path.of("/e")));
    assertThatThrownBy(() -> Engines.Settings.from(Map.of("KAMADO_TORCH_THREADS", "many"), null, null))
        .hasMessage("KAMADO_TORCH_THREADS must be an integer, got 'many'");
    assertThatThrownBy(() -> Engines.apply(new Engines.Settings(1, 1, null), Map.of("DJL_OFFLINE", "false")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("DJL_OFFLINE=false");
    assertThatThrownBy(() -> Engines.apply(new Engines.Settings(1, 1, Path.of("/a")),
        Map.of("ENGINE_CACHE_DIR", "/b"))).isInstanceOf(IllegalStateException.class)
        .hasMessage("environment variable ENGINE_CACHE_DIR=/b overrides the requested engine cache folder /a");
    assertThatThrownBy(() -> Engines.pytorch(new Engines.Settings(4, 1, null)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already loaded");
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }
}
