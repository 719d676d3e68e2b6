package dev.kamado.model.llama;

import dev.kamado.model.ModelConfig;
import java.util.Map;

/**
 * Inverse frequencies of the rotary position embedding, as Hugging Face transformers computes them: the default
 * {@code 1 / theta^(2i/d)} and the {@code llama3} rescaling of {@code rope_scaling}. Other scalings are refused.
 */
final class Rope {

  private Rope() {
  }

  /**
   * The {@code head_dim} frequencies of one head, the {@code head_dim / 2} inverse frequencies written twice (the
   * {@code rotate_half} layout: dimension {@code i} and {@code i + head_dim/2} rotate together).
   *
   * @throws IllegalArgumentException when {@code rope_scaling} names a type that is not supported
   */
  static float[] inverseFrequencies(ModelConfig config) {
    int dim = config.headDim();
    if (dim % 2 != 0) {
      throw new IllegalArgumentException("head_dim must be even for rotary embeddings, got " + dim);
    }
    float[] half = new float[dim / 2];
    for (int i = 0; i < half.length; i++) {
      // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), in float32
      float exponent = (float) (2 * i) / dim;
      half[i] = (float) (1.0 / (float) Math.pow(config.ropeTheta(), exponent));
    }
    Map<String, Object> scaling = config.ropeScaling();
    if (scaling != null) {
      Object type = scaling.getOrDefault("rope_type", scaling.get("type"));
      if ("llama3".equals(type)) {
        llama3(half, scaling);
      } else if (type != null && !"default".equals(type)) {
        throw new IllegalArgumentException("rope_scaling type '" + type
            + "' is not supported (supported: default, llama3)");
      }
    }
    float[] full = new float[dim];
    System.arraycopy(half, 0, full, 0, half.length);
    System.arraycopy(half, 0, full, half.length, half.length);
    return full;
  }

  private static void llama3(float[] invFreq, Map<String, Object> s) {
    double factor = number(s, "factor");
    double low = number(s, "low_freq_factor");
    double high = number(s, "high_freq_factor");
    double oldContext = number(s, "original_max_position_embeddings");
    double lowWavelen = oldContext / low;
    double highWavelen = oldContext / high;
    for (int i = 0; i < invFreq.length; i++) {
      double f = invFreq[i];
      double wavelen = 2 * Math.PI / f;
      double scaled = wavelen > lowWavelen ? f / factor : f;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        double smooth = (oldContext / wavelen - low) / (high - low);
        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
      }
      invFreq[i] = (float) scaled;
    }
  }

  private static double number(Map<String, Object> s, String key) {
    Object v = s.get(key);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException("rope_scaling." + key + " must be a number for rope_type llama3, got " + v);
    }
    return ((Number) v).doubleValue();
  }
}
