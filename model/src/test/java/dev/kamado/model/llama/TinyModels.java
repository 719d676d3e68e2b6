package dev.kamado.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.kamado.model.ModelConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Tiny configs and helpers shared by the model tests. */
final class TinyModels {

  private TinyModels() {
  }

  /** A tiny config: GQA (4 query heads, 2 key/value heads), head_dim 8; qwen2 gets q/k/v biases. */
  static ModelConfig config(String type, boolean tied) {
    return config(type, tied, 48);
  }

  /** As {@link #config(String, boolean)} with another intermediate_size. */
  static ModelConfig config(String type, boolean tied, int intermediate) {
    return new ModelConfig(type, 61, 32, intermediate, 2, 4, 2, 8, 1e-6, "qwen2".equals(type) ? 1e6 : 10_000, 256, tied, false,
        false, "silu", "float32", null, List.of(), null, null);
  }

  /**
   * A random model whose weights are larger than transformers' init (std 0.3, norm weights and biases random too),
   * so that every part of the computation shows in the logits.
   */
  static LlamaModel model(NDManager m, String type, boolean tied, long seed) {
    return model(m, config(type, tied), seed);
  }

  /** A random model of {@code config} with large weights, see {@link #model(NDManager, String, boolean, long)}. */
  static LlamaModel model(NDManager m, ModelConfig config, long seed) {
    LlamaModel model = LlamaModel.random(config, seed, m);
    Random rnd = new Random(seed + 1);
    for (var e : model.parameters().entrySet()) {
      NDArray a = e.getValue();
      float[] v = new float[(int) a.size()];
      boolean norm = e.getKey().endsWith("norm.weight");
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (norm ? 1 + 0.1 * rnd.nextGaussian() : 0.3 * rnd.nextGaussian());
      }
      a.set(v);
    }
    return model;
  }

  /** Gives every lora_B values (a fresh adapter's B is zero, which would hide errors). */
  static void randomiseB(LoraAdapter lora, long seed) {
    Random rnd = new Random(seed);
    for (var e : lora.parameters().entrySet()) {
      if (e.getKey().contains("lora_B")) {
        float[] v = new float[(int) e.getValue().size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (0.1 * rnd.nextGaussian());
        }
        e.getValue().set(v);
      }
    }
  }

  static int[] tokens(long seed, int count, int vocab) {
    Random rnd = new Random(seed);
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = rnd.nextInt(vocab);
    }
    return out;
  }

  /** Logits [T][V] of one row through {@link LlamaModel#forward}. */
  static float[][] forwardRow(LlamaModel model, NDManager parent, int[] tokens) {
    try (NDManager step = parent.newSubManager()) {
      long[] ids = Arrays.stream(tokens).asLongStream().toArray();
      NDArray logits = model.forward(step.create(ids, new Shape(1, tokens.length)), null, false);
      return rows(logits.toFloatArray(), tokens.length, model.config().vocabSize());
    }
  }

  static float[][] rows(float[] flat, int count, int width) {
    float[][] out = new float[count][];
    for (int i = 0; i < count; i++) {
      out[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }
    return out;
  }

  static double maxDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  static double maxDiff(float[][] a, float[][] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, maxDiff(a[i], b[i]));
    }
    return max;
  }
}
