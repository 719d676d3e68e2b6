package dev.kamado.model.llama;

import static dev.kamado.model.llama.TinyModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.kamado.model.Engines;
import dev.kamado.model.ModelConfigJson;
import dev.kamado.model.safetensors.DType;
import dev.kamado.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaModelTest {

  static NDManager root;

  @BeforeAll
  static void engine() {
    root = Engines.pytorch().newBaseManager();
  }

  @AfterAll
  static void close() {
    root.close();
  }

  @Test
  void llamaForwardMatchesPlainJavaMath() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 1)) {
      int[] tokens = TinyModels.tokens(2, 11, 61);
      float[][] expected = new NaiveLlama(model).logits(tokens);
      assertThat(maxDiff(TinyModels.forwardRow(model, root, tokens), expected)).isLessThan(1e-4);
    }
  }

  @Test
  void qwen2TiedWithBiasesMatchesPlainJavaMath() {
    try (LlamaModel model = TinyModels.model(root, "qwen2", true, 3)) {
      assertThat(model.parameters()).containsKey("model.layers.0.self_attn.q_proj.bias")
          .doesNotContainKey("model.layers.0.self_attn.o_proj.bias").doesNotContainKey("lm_head.weight");
      int[] tokens = TinyModels.tokens(4, 9, 61);
      float[][] expected = new NaiveLlama(model).logits(tokens);
      assertThat(maxDiff(TinyModels.forwardRow(model, root, tokens), expected)).isLessThan(1e-4);
    }
  }

  @Test
  void packedRowGivesEachSegmentItsOwnLogits() {
    try (LlamaModel model = TinyModels.model(root, "qwen2", true, 5); NDManager step = root.newSubManager()) {
      int[] a = TinyModels.tokens(6, 5, 61);
      int[] b = TinyModels.tokens(7, 4, 61);
      float[][] aAlone = TinyModels.forwardRow(model, root, a);
      float[][] bAlone = TinyModels.forwardRow(model, root, b);
      // row 0: a then b then 2 padding tokens; row 1: b then padding
      long[] ids = new long[22];
      long[] seg = new long[22];
      for (int i = 0; i < 5; i++) {
        ids[i] = a[i];
        seg[i] = 1;
      }
      for (int i = 0; i < 4; i++) {
        ids[5 + i] = b[i];
        seg[5 + i] = 2;
        ids[11 + i] = b[i];
        seg[11 + i] = 7;
      }
      ids[9] = 13;
      ids[10] = 14;
      float[] flat = model.forward(step.create(ids, new Shape(2, 11)), step.create(seg, new Shape(2, 11)), false)
          .toFloatArray();
      float[][] rows = TinyModels.rows(flat, 22, 61);
      assertThat(maxDiff(Arrays.copyOfRange(rows, 0, 5), aAlone)).isLessThan(1e-5);
      assertThat(maxDiff(Arrays.copyOfRange(rows, 5, 9), bAlone)).isLessThan(1e-5);
      assertThat(maxDiff(Arrays.copyOfRange(rows, 11, 15), bAlone)).isLessThan(1e-5);
      for (float[] row : rows) {
        for (float f : row) {
          assertThat(Float.isFinite(f)).isTrue();
        }
      }
    }
  }

  @Test
  void segmentsMustBeContiguousAndTokensInRange() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 8); NDManager step = root.newSubManager()) {
      NDArray ids = step.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
      assertThatThrownBy(() -> model.forward(ids, step.create(new long[] {1, 2, 1, 0}, new Shape(1, 4)), false))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment 1 of row 0 is not contiguous");
      assertThatThrownBy(() -> model.forward(step.create(new long[] {1, 61}, new Shape(1, 2)), null, false))
          .hasMessageContaining("token id 61 is outside the vocabulary [0, 61)");
    }
  }

  @Test
  void lossIsMeanCrossEntropyOverCountedPositions() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 9); NDManager step = root.newSubManager()) {
      int[] tokens = TinyModels.tokens(10, 6, 61);
      long[] labels = {5, -100, 7, 60, -100, 0};
      NDArray logits = model.forward(step.create(Arrays.stream(tokens).asLongStream().toArray(), new Shape(1, 6)),
          null, false);
      float loss = LlamaModel.causalLmLoss(logits, step.create(labels, new Shape(1, 6))).getFloat();
      float[][] rows = TinyModels.rows(logits.toFloatArray(), 6, 61);
      double sum = 0;
      int count = 0;
      for (int t = 0; t < 6; t++) {
        if (labels[t] == -100) {
          continue;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float f : rows[t]) {
          max = Math.max(max, f);
        }
        double z = 0;
        for (float f : rows[t]) {
          z += Math.exp(f - max);
        }
        sum += -(rows[t][(int) labels[t]] - max - Math.log(z));
        count++;
      }
      assertThat((double) loss).isCloseTo(sum / count, org.assertj.core.data.Offset.offset(1e-5));
      float none = LlamaModel.causalLmLoss(logits, step.create(new long[] {-100, -100, -100, -100, -100, -100},
          new Shape(1, 6))).getFloat();
      assertThat(none).isZero();
    }
  }

  @Test
  void gradientsReachTheParameters() {
    try (LlamaModel model = TinyModels.model(root, "qwen2", true, 11)) {
      NDArray q = model.parameters().get("model.layers.0.self_attn.q_proj.weight");
      NDArray bias = model.parameters().get("model.layers.1.self_attn.v_proj.bias");
      q.setRequiresGradient(true);
      bias.setRequiresGradient(true);
      try (NDManager step = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray ids = step.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        NDArray labels = step.create(new long[] {2, 3, -100, 5, 6, 7}, new Shape(2, 3));
        NDArray loss = LlamaModel.causalLmLoss(model.forward(ids, null, true), labels);
        gc.backward(loss);
        assertThat(q.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
        assertThat(bias.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
      }
    }
  }

  @Test
  void saveAndLoadRoundTrip(@TempDir Path dir) throws IOException {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 12)) {
      model.save(dir.resolve("f32"));
      model.save(dir.resolve("bf16"), DType.BF16);
      try (LlamaModel f32 = LlamaModel.load(dir.resolve("f32"), root);
          LlamaModel bf16 = LlamaModel.load(dir.resolve("bf16"), root)) {
        assertThat(f32.config()).isEqualTo(model.config());
        assertThat(f32.parameters().keySet()).containsExactlyElementsOf(model.parameters().keySet());
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
          float[] original = e.getValue().toFloatArray();
          assertThat(f32.parameters().get(e.getKey()).toFloatArray()).containsExactly(original);
          float[] rounded = bf16.parameters().get(e.getKey()).toFloatArray();
          for (int i = 0; i < original.length; i++) {
            assertThat((double) Math.abs(rounded[i] - original[i])).isLessThanOrEqualTo(
                Math.abs(original[i]) / 256.0);
          }
        }
        assertThat(ModelConfigJson.read(dir.resolve("bf16")).torchDtype()).isEqualTo("bfloat16");
      }
    }
  }

  @Test
  void loadNamesMissingOrMisshapedTensors(@TempDir Path dir) throws IOException {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 13)) {
      model.save(dir);
    }
    SafetensorsWriter w = new SafetensorsWriter();
    w.add("model.embed_tokens.weight", DType.F32, new long[] {61, 31}, new float[61 * 31]);
    w.write(dir.resolve("model.safetensors"));
    assertThatThrownBy(() -> LlamaModel.load(dir, root)).isInstanceOf(IOException.class)
        .hasMessageContaining("'model.embed_tokens.weight' has shape [61, 31]");
    w = new SafetensorsWriter();
    w.add("model.embed_tokens.weight", DType.F32, new long[] {61, 32}, new float[61 * 32]);
    w.write(dir.resolve("model.safetensors"));
    assertThatThrownBy(() -> LlamaModel.load(dir, root)).isInstanceOf(IOException.class)
        .hasMessageContaining("lack tensor 'model.layers.0.input_layernorm.weight'");
    Files.delete(dir.resolve("model.safetensors"));
    assertThatThrownBy(() -> LlamaModel.load(dir, root)).isInstanceOf(IOException.class)
        .hasMessageContaining("model.safetensors");
  }

  @Test
  void trainingLoopDoesNotLeakArrays() {
    try (NDManager owner = root.newSubManager(); LlamaModel model = TinyModels.model(owner, "llama", false, 14)) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(2, 4, 0.1, java.util.List.of("q_proj", "v_proj")),
          1);
      model.attach(lora);
      lora.parameters().values().forEach(a -> a.setRequiresGradient(true));
      int before = -1;
      for (int i = 0; i < 1000; i++) {
        try (NDManager step = owner.newSubManager(); GradientCollector gc = Engine.getInstance()
            .newGradientCollector()) {
          NDArray ids = step.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
          NDArray labels = step.create(new long[] {2, 3, -100, 5, 6, 7}, new Shape(2, 3));
          gc.backward(LlamaModel.causalLmLoss(model.forward(ids, null, true), labels));
        }
        for (NDArray p : lora.parameters().values()) {
          try (NDArray g = p.getGradient(); NDArray update = g.mul(1e-3f)) {
            p.subi(update);
          }
        }
        if (i == 10) {
          before = owner.getManagedArrays().size();
        }
      }
      java.util.List<NDArray> all = owner.getManagedArrays();
      if (all.size() != before) {
        for (NDArray a : all.subList(Math.max(0, all.size() - 12), all.size())) {
          System.out.println("LEAK? " + a.getShape() + " " + a.getName() + " " + a.getManager());
        }
      }
      assertThat(all.size()).isEqualTo(before);
    }
  }
}
