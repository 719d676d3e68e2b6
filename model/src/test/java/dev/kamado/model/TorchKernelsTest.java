package dev.kamado.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The TorchScript kernels against the same maths written with DJL's own operations, values and gradients. */
class TorchKernelsTest {
  private static final Engine ENGINE = Engines.pytorch();

  private static NDArray random(NDManager m, Random r, long... shape) {
    float[] data = new float[(int) new Shape(shape).size()];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) r.nextGaussian();
    }
    return m.create(data, new Shape(shape));
  }

  private static void assertClose(NDArray actual, NDArray expected, double tolerance) {
    float[] a = actual.toFloatArray();
    float[] e = expected.toFloatArray();
    assertThat(a).hasSameSizeAs(e);
    for (int i = 0; i < a.length; i++) {
      assertThat((double) a[i]).as("element %d", i).isCloseTo(e[i], within(tolerance));
    }
  }

  @Test
  void siluAndItsGradientMatchTheFormula() {
    try (NDManager m = ENGINE.newBaseManager()) {
      Random r = new Random(1);
      NDArray x = random(m, r, 3, 70);
      NDArray w = random(m, r, 3, 70);
      NDArray y = x.duplicate();
      x.setRequiresGradient(true);
      y.setRequiresGradient(true);
      NDArray fused;
      NDArray composed;
      try (GradientCollector gc = ENGINE.newGradientCollector()) {
        fused = TorchKernels.get().silu(x);
        gc.backward(fused.mul(w).sum());
      }
      try (GradientCollector gc = ENGINE.newGradientCollector()) {
        composed = y.mul(Activation.sigmoid(y));
        gc.backward(composed.mul(w).sum());
      }
      assertClose(fused, composed, 1e-6);
      assertClose(x.getGradient(), y.getGradient(), 1e-5);
    }
  }

  /** Explicit attention: softmax(q k^T * scale + mask) v, k and v repeated for grouped-query heads. */
  private static NDArray explicit(NDArray q, NDArray k, NDArray v, NDArray mask, float scale) {
    long heads = q.getShape().get(1);
    long kvHeads = k.getShape().get(1);
    NDArray kk = k.repeat(1, heads / kvHeads);
    NDArray vv = v.repeat(1, heads / kvHeads);
    NDArray scores = NdTensors.times(q.matMul(kk.transpose(0, 1, 3, 2)), scale).add(mask);
    return scores.softmax(3).matMul(vv);
  }

  private static void attentionCase(NDArray mask, NDArray explicitMask, long time) {
    try (NDManager m = ENGINE.newBaseManager()) {
      Random r = new Random(2);
      // 4 query heads over 2 key/value heads; head dimension 16
      NDArray[] a = {random(m, r, 2, 4, time, 16), random(m, r, 2, 2, time, 16), random(m, r, 2, 2, time, 16)};
      NDArray[] b = {a[0].duplicate(), a[1].duplicate(), a[2].duplicate()};
      NDArray w = random(m, r, 2, 4, time, 16);
      for (int i = 0; i < 3; i++) {
        a[i].setRequiresGradient(true);
        b[i].setRequiresGradient(true);
      }
      NDArray fused;
      NDArray reference;
      try (GradientCollector gc = ENGINE.newGradientCollector()) {
        fused = TorchKernels.get().attention(a[0], a[1], a[2], mask == null ? null : mask.duplicate(), 0.25f);
        gc.backward(fused.mul(w).sum());
      }
      try (GradientCollector gc = ENGINE.newGradientCollector()) {
        reference = explicit(b[0], b[1], b[2], explicitMask.duplicate(), 0.25f);
        gc.backward(reference.mul(w).sum());
      }
      assertClose(fused, reference, 1e-5);
      for (int i = 0; i < 3; i++) {
        assertClose(a[i].getGradient(), b[i].getGradient(), 1e-4);
      }
    }
  }

  private static NDArray causal(NDManager m, long time) {
    NDArray idx = m.arange(0, time, 1, DataType.INT64);
    return idx.reshape(1, time).gt(idx.reshape(time, 1)).toType(DataType.FLOAT32, false)
        .mul(-Float.MAX_VALUE).reshape(1, 1, time, time);
  }

  @Test
  void causalAttentionMatchesTheExplicitComputation() {
    try (NDManager m = ENGINE.newBaseManager()) {
      // long enough for the kernel to split the keys into several blocks
      attentionCase(null, causal(m, 300), 300);
    }
  }

  @Test
  void maskedAttentionMatchesTheExplicitComputation() {
    try (NDManager m = ENGINE.newBaseManager()) {
      long time = 40;
      // two segments of 25 and 15 tokens: causal within each, nothing across
      float[] mask = new float[(int) (time * time)];
      for (int t = 0; t < time; t++) {
        for (int s = 0; s < time; s++) {
          boolean sameSegment = (t < 25) == (s < 25);
          mask[(int) (t * time + s)] = sameSegment && s <= t ? 0f : -Float.MAX_VALUE;
        }
      }
      NDArray additive = m.create(mask, new Shape(1, 1, time, time));
      attentionCase(additive, additive, time);
    }
  }

  @Test
  void normIsTheGlobalL2Norm() {
    try (NDManager m = ENGINE.newBaseManager()) {
      NDArray a = m.create(new float[] {3f, 0f});
      NDArray b = m.create(new float[] {4f});
      assertThat(TorchKernels.get().norm(List.of(a, b))).isCloseTo(5.0, within(1e-6));
      TorchKernels.get().scale(List.of(a, b), 0.5);
      assertThat(a.toFloatArray()).containsExactly(1.5f, 0f);
      assertThat(b.toFloatArray()).containsExactly(2f);
    }
  }

  @Test
  void gradientsEqualBackwardBitwiseAndLeaveTheInputsAlone() throws Exception {
    try (NDManager m = ENGINE.newBaseManager()) {
      Random r = new Random(5);
      NDArray a = random(m, r, 8, 33);
      NDArray b = random(m, r, 33, 5);
      NDArray unused = random(m, r, 4);
      NDArray x = random(m, r, 6, 8);
      for (NDArray p : List.of(a, b, unused)) {
        p.setRequiresGradient(true);
      }
      try (GradientCollector gc = ENGINE.newGradientCollector()) {
        gc.backward(TorchKernels.get().silu(x.matMul(a)).matMul(b).square().sum());
      }
      float[] backwardA = a.getGradient().toFloatArray();
      float[] backwardB = b.getGradient().toFloatArray();
      // two threads differentiate their own losses over the same parameters at once
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        List<java.util.concurrent.Future<List<float[]>>> results = new java.util.ArrayList<>();
        for (int t = 0; t < 2; t++) {
          results.add(pool.submit(() -> {
            Engines.bindCurrentThread();
            ai.djl.pytorch.jni.JniUtils.setGradMode(true);
            try (NDManager scratch = m.newSubManager()) {
              NDArray loss = TorchKernels.get().silu(x.matMul(a)).matMul(b).square().sum();
              List<NDArray> g = TorchKernels.get().gradients(loss, List.of(a, b, unused), scratch);
              return List.of(g.get(0).toFloatArray(), g.get(1).toFloatArray(), g.get(2).toFloatArray());
            }
          }));
        }
        for (java.util.concurrent.Future<List<float[]>> f : results) {
          List<float[]> g = f.get();
          assertThat(g.get(0)).containsExactly(backwardA);
          assertThat(g.get(1)).containsExactly(backwardB);
          assertThat(g.get(2)).containsOnly(0f).hasSize(4);
        }
      } finally {
        pool.shutdownNow();
      }
      // the accumulated gradients are untouched by autograd.grad
      assertThat(a.getGradient().toFloatArray()).containsExactly(backwardA);
    }
  }
}
