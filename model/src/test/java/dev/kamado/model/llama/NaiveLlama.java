package dev.kamado.model.llama;

import dev.kamado.model.ModelConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * The Llama forward pass written out in plain Java float/double loops, one sequence at a time, straight from the
 * definitions (RMSNorm, rotate_half rotary embedding, grouped-query causal attention, SwiGLU), as an independent
 * check of {@link LlamaModel}. Optional LoRA: {@code loraA/loraB} by projection prefix.
 */
final class NaiveLlama {

  private final ModelConfig c;
  private final Map<String, float[]> w = new HashMap<>();
  private final Map<String, float[]> loraA = new HashMap<>();
  private final Map<String, float[]> loraB = new HashMap<>();
  private double loraScaling;
  private int loraRank;

  NaiveLlama(LlamaModel model) {
    this.c = model.config();
    model.parameters().forEach((k, v) -> w.put(k, v.toFloatArray()));
    if (c.tieWordEmbeddings()) {
      w.put("lm_head.weight", w.get("model.embed_tokens.weight"));
    }
  }

  void lora(LoraAdapter adapter) {
    loraScaling = adapter.scaling();
    loraRank = adapter.config().rank();
    adapter.parameters().forEach((k, v) -> {
      String prefix = k.substring("base_model.model.".length(), k.indexOf(".lora_"));
      (k.contains("lora_A") ? loraA : loraB).put(prefix, v.toFloatArray());
    });
  }

  /** Logits [T][V] for tokens at positions 0..T-1. */
  float[][] logits(int[] tokens) {
    int t = tokens.length;
    int h = c.hiddenSize();
    float[][] x = new float[t][h];
    float[] emb = w.get("model.embed_tokens.weight");
    for (int i = 0; i < t; i++) {
      System.arraycopy(emb, tokens[i] * h, x[i], 0, h);
    }
    for (int l = 0; l < c.numHiddenLayers(); l++) {
      String p = "model.layers." + l + ".";
      float[][] n = new float[t][];
      for (int i = 0; i < t; i++) {
        n[i] = rms(x[i], w.get(p + "input_layernorm.weight"));
      }
      float[][] q = new float[t][];
      float[][] k = new float[t][];
      float[][] v = new float[t][];
      for (int i = 0; i < t; i++) {
        q[i] = rope(linear(n[i], p + "self_attn.q_proj"), i, c.numAttentionHeads());
        k[i] = rope(linear(n[i], p + "self_attn.k_proj"), i, c.numKeyValueHeads());
        v[i] = linear(n[i], p + "self_attn.v_proj");
      }
      int d = c.headDim();
      int group = c.numAttentionHeads() / c.numKeyValueHeads();
      for (int i = 0; i < t; i++) {
        float[] ctx = new float[c.numAttentionHeads() * d];
        for (int head = 0; head < c.numAttentionHeads(); head++) {
          int kvHead = head / group;
          double[] s = new double[i + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= i; j++) {
            double dot = 0;
            for (int e = 0; e < d; e++) {
              dot += q[i][head * d + e] * k[j][kvHead * d + e];
            }
            s[j] = dot / Math.sqrt(d);
            max = Math.max(max, s[j]);
          }
          double sum = 0;
          for (int j = 0; j <= i; j++) {
            s[j] = Math.exp(s[j] - max);
            sum += s[j];
          }
          for (int e = 0; e < d; e++) {
            double acc = 0;
            for (int j = 0; j <= i; j++) {
              acc += s[j] / sum * v[j][kvHead * d + e];
            }
            ctx[head * d + e] = (float) acc;
          }
        }
        float[] o = linear(ctx, p + "self_attn.o_proj");
        for (int e = 0; e < h; e++) {
          x[i][e] += o[e];
        }
      }
      for (int i = 0; i < t; i++) {
        float[] m = rms(x[i], w.get(p + "post_attention_layernorm.weight"));
        float[] g = linear(m, p + "mlp.gate_proj");
        float[] u = linear(m, p + "mlp.up_proj");
        for (int e = 0; e < g.length; e++) {
          g[e] = (float) (g[e] / (1 + Math.exp(-g[e])) * u[e]);
        }
        float[] down = linear(g, p + "mlp.down_proj");
        for (int e = 0; e < h; e++) {
          x[i][e] += down[e];
        }
      }
    }
    float[][] out = new float[t][];
    for (int i = 0; i < t; i++) {
      out[i] = linear(rms(x[i], w.get("model.norm.weight")), "lm_head");
    }
    return out;
  }

  private float[] rms(float[] x, float[] weight) {
    double ss = 0;
    for (float f : x) {
      ss += f * f;
    }
    double scale = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) (x[i] * scale * weight[i]);
    }
    return out;
  }

  private float[] linear(float[] x, String prefix) {
    float[] weight = w.get(prefix + ".weight");
    float[] bias = w.get(prefix + ".bias");
    int in = x.length;
    int out = weight.length / in;
    float[] y = new float[out];
    for (int o = 0; o < out; o++) {
      double acc = bias == null ? 0 : bias[o];
      for (int i = 0; i < in; i++) {
        acc += (double) weight[o * in + i] * x[i];
      }
      y[o] = (float) acc;
    }
    float[] a = loraA.get(prefix);
    if (a != null) {
      float[] b = loraB.get(prefix);
      double[] low = new double[loraRank];
      for (int r = 0; r < loraRank; r++) {
        for (int i = 0; i < in; i++) {
          low[r] += (double) a[r * in + i] * x[i];
        }
      }
      for (int o = 0; o < out; o++) {
        double acc = 0;
        for (int r = 0; r < loraRank; r++) {
          acc += b[o * loraRank + r] * low[r];
        }
        y[o] += (float) (acc * loraScaling);
      }
    }
    return y;
  }

  /** rotate_half rotary embedding of every head of {@code x} at position {@code pos}. */
  private float[] rope(float[] x, int pos, int heads) {
    int d = c.headDim();
    int half = d / 2;
    float[] out = new float[x.length];
    for (int head = 0; head < heads; head++) {
      for (int i = 0; i < half; i++) {
        double invFreq = 1 / Math.pow(c.ropeTheta(), 2.0 * i / d);
        double angle = pos * invFreq;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        float a = x[head * d + i];
        float b = x[head * d + i + half];
        out[head * d + i] = (float) (a * cos - b * sin);
        out[head * d + i + half] = (float) (b * cos + a * sin);
      }
    }
    return out;
  }
}
