package dev.kamado.trainer.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.kamado.model.Engines;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
  private static final Engine ENGINE = Engines.pytorch();

  /** Gradient of sum(c * p) is c: a known gradient through real autograd. */
  private static void backward(Map<String, NDArray> params, Map<String, float[]> coefficients, NDManager m) {
    try (GradientCollector gc = ENGINE.newGradientCollector()) {
      NDArray loss = null;
      for (var e : params.entrySet()) {
        NDArray term = e.getValue().mul(m.create(coefficients.get(e.getKey()))).sum();
        loss = loss == null ? term : loss.add(term);
      }
      gc.backward(loss);
    }
  }

  @Test
  void stepsLeaveNoArraysBehindInTheLongLivedManagers() {
    try (NDManager m = ENGINE.newBaseManager(); NDManager model = m.newSubManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.weight", model.create(new float[] {1.0f, -2.0f, 3.0f}));
      params.put("layer.bias", model.create(new float[] {0.5f}));
      params.values().forEach(p -> p.setRequiresGradient(true));
      Map<String, float[]> g = Map.of("layer.weight", new float[] {0.1f, -0.3f, 0.2f}, "layer.bias", new float[] {2f});
      try (AdamW opt = new AdamW(params, AdamW.Settings.defaults(0.1), m)) {
        try (NDManager step = m.newSubManager()) {
          step.tempAttachAll(params.values().toArray(new NDArray[0]));
          backward(params, g, step);
        }
        opt.step(0.01);
        int modelArrays = model.getManagedArrays().size();
        int optimizerArrays = m.getManagedArrays().size();
        for (int i = 0; i < 20; i++) {
          try (NDManager step = m.newSubManager()) {
            step.tempAttachAll(params.values().toArray(new NDArray[0])); // the loss's own temporaries go with it
            backward(params, g, step);
          }
          opt.step(0.01);
        }
        // Twenty more steps: not one more array in the parameters' or the optimizer's manager (each step used to
        // leave sqrt(v), the update and scalar operands behind: about two parameter-sized arrays per step).
        assertThat(model.getManagedArrays()).hasSize(modelArrays);
        assertThat(m.getManagedArrays()).hasSize(optimizerArrays);
      }
    }
  }

  @Test
  void twoStepsMatchTheFormulaComputedByHand() {
    try (NDManager m = ENGINE.newBaseManager()) {
      NDArray w = m.create(new float[] {1.0f, -2.0f});
      NDArray b = m.create(new float[] {0.5f});
      Map<String, NDArray> params = new LinkedHashMap<>();
      params.put("layer.weight", w);
      params.put("layer.bias", b);
      params.values().forEach(p -> p.setRequiresGradient(true));
      Map<String, float[]> g1 = Map.of("layer.weight", new float[] {0.1f, -0.3f}, "layer.bias", new float[] {2f});
      Map<String, float[]> g2 = Map.of("layer.weight", new float[] {-0.2f, 0.4f}, "layer.bias", new float[] {1f});
      double lr1 = 0.01;
      double lr2 = 0.005;
      double wd = 0.1;
      try (AdamW opt = new AdamW(params, AdamW.Settings.defaults(wd), m)) {
        backward(params, g1, m);
        opt.step(lr1);
        backward(params, g2, m);
        opt.step(lr2);
        assertThat(opt.stepCount()).isEqualTo(2);
      }
      double[] expectedW = new double[2];
      for (int i = 0; i < 2; i++) {
        expectedW[i] = byHand(new double[] {1.0, -2.0}[i], new double[] {g1.get("layer.weight")[i],
            g2.get("layer.weight")[i]}, new double[] {lr1, lr2}, wd);
      }
      double expectedB = byHand(0.5, new double[] {2.0, 1.0}, new double[] {lr1, lr2}, 0.0);
      float[] gotW = w.toFloatArray();
      assertThat((double) gotW[0]).isCloseTo(expectedW[0], within(1e-6));
      assertThat((double) gotW[1]).isCloseTo(expectedW[1], within(1e-6));
      assertThat((double) b.toFloatArray()[0]).as("no weight decay on biases").isCloseTo(expectedB, within(1e-6));
      assertThat(w.getGradient().abs().sum().getFloat()).as("gradients zeroed after the step").isZero();
    }
  }

  /** torch.optim.AdamW's update for one scalar, in double. */
  private static double byHand(double p, double[] grads, double[] lrs, double wd) {
    double m = 0;
    double v = 0;
    for (int t = 1; t <= grads.length; t++) {
      double g = grads[t - 1];
      double lr = lrs[t - 1];
      p *= 1 - lr * wd;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
      p -= lr / (1 - Math.pow(0.9, t)) * m / denom;
    }
    return p;
  }

  @Test
  void decayExcludesBiasesAndNorms() {
    assertThat(List.of("model.layers.0.mlp.up_proj.weight", "model.embed_tokens.weight"))
        .allMatch(AdamW::decays);
    assertThat(List.of("model.layers.0.self_attn.q_proj.bias", "model.norm.weight",
        "model.layers.3.input_layernorm.weight", "model.layers.3.post_attention_layernorm.weight"))
        .noneMatch(AdamW::decays);
  }

  @Test
  void clippingScalesToTheGlobalNorm() {
    try (NDManager m = ENGINE.newBaseManager()) {
      NDArray a = m.create(new float[] {1, 1});
      NDArray c = m.create(new float[] {1});
      a.setRequiresGradient(true);
      c.setRequiresGradient(true);
      try (GradientCollector gc = ENGINE.newGradientCollector()) {
        gc.backward(a.mul(m.create(new float[] {3, 0})).sum().add(c.mul(4).sum()));
      }
      double norm = GradientClipping.clip(List.of(a, c), 1.0, m);
      assertThat(norm).isCloseTo(5.0, within(1e-6));
      assertThat(a.getGradient().toFloatArray()[0]).isCloseTo(0.6f, within(1e-6f));
      assertThat(c.getGradient().toFloatArray()[0]).isCloseTo(0.8f, within(1e-6f));
      double after = GradientClipping.clip(List.of(a, c), 2.0, m);
      assertThat(after).as("below the threshold: unchanged").isCloseTo(1.0, within(1e-5));
      assertThat(c.getGradient().toFloatArray()[0]).isCloseTo(0.8f, within(1e-6f));
    }
  }
}
