package dev.kamado.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.kamado.model.Engines;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LlamaModel#trainingLoss} (LM head only on labelled positions) against the reference path
 * {@code causalLmLoss(forward(...))}: same loss and same gradients, for padded and packed rows with a mix of
 * labelled and ignored positions, every position labelled, and none.
 */
class TrainingLossTest {
  static NDManager root;

  @BeforeAll
  static void engine() {
    root = Engines.pytorch().newBaseManager();
  }

  @AfterAll
  static void close() {
    root.close();
  }

  /** Two rows of 7: row 0 packs two examples then pads, row 1 is one example; labels on some positions only. */
  private static final long[] IDS = {3, 9, 14, 22, 5, 1, 1, 7, 8, 40, 41, 42, 43, 44};
  private static final long[] SEGMENTS = {1, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1};
  private static final long[] MIXED = {-100, 14, -100, -100, 60, -100, -100, -100, -100, 41, 42, 43, 44, 0};

  @Test
  void fullModelLossAndGradientsEqualTheFullLogitsPath() {
    for (long[] labels : List.of(MIXED, allLabelled(), onlyOne())) {
      try (LlamaModel model = TinyModels.model(root, "qwen2", true, 21)) {
        model.parameters().values().forEach(p -> p.setRequiresGradient(true));
        compare(model, model.parameters(), labels, false);
      }
    }
  }

  @Test
  void loraLossAndGradientsEqualTheFullLogitsPathWithTheSameDropout() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 22)) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(4, 8, 0.1, List.of("q_proj", "v_proj", "down_proj")),
          5);
      TinyModels.randomiseB(lora, 6);
      model.attach(lora);
      lora.parameters().values().forEach(p -> p.setRequiresGradient(true));
      compare(model, lora.parameters(), MIXED, true);
    }
  }

  @Test
  void noLabelGivesZeroLossAndZeroGradients() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 23); NDManager step = root.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray q = model.parameters().get("model.layers.0.self_attn.q_proj.weight");
      q.setRequiresGradient(true);
      long[] none = new long[IDS.length];
      java.util.Arrays.fill(none, -100);
      NDArray loss = model.trainingLoss(step.create(IDS, new Shape(2, 7)), step.create(SEGMENTS, new Shape(2, 7)),
          step.create(none, new Shape(2, 7)), true);
      assertThat(loss.getFloat()).isZero();
      gc.backward(loss);
      assertThat(q.getGradient().abs().sum().getFloat()).isZero();
    }
  }

  @Test
  void badLabelsAreRefused() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 24); NDManager step = root.newSubManager()) {
      NDArray ids = step.create(new long[] {1, 2, 3}, new Shape(1, 3));
      assertThatThrownBy(() -> model.trainingLoss(ids, null, step.create(new long[] {2, 3}, new Shape(1, 2)), false))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels shape (1, 2) differs");
      assertThatThrownBy(() -> model.trainingLoss(ids, null, step.create(new long[] {2, 61, -100}, new Shape(1, 3)),
          false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 61 is outside");
    }
  }

  private static long[] allLabelled() {
    Random rnd = new Random(3);
    long[] labels = new long[IDS.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rnd.nextInt(61);
    }
    return labels;
  }

  private static long[] onlyOne() {
    long[] labels = new long[IDS.length];
    java.util.Arrays.fill(labels, -100);
    labels[10] = 17;
    return labels;
  }

  private static void compare(LlamaModel model, Map<String, NDArray> trainable, long[] labels, boolean training) {
    Map<String, float[]> reference = new LinkedHashMap<>();
    float referenceLoss;
    try (NDManager step = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      Engine.getInstance().setRandomSeed(77);
      NDArray logits = model.forward(step.create(IDS, new Shape(2, 7)), step.create(SEGMENTS, new Shape(2, 7)),
          training);
      NDArray loss = LlamaModel.causalLmLoss(logits, step.create(labels, new Shape(2, 7)));
      gc.backward(loss);
      referenceLoss = loss.getFloat();
      trainable.forEach((name, p) -> reference.put(name, p.getGradient().toFloatArray()));
    }
    trainable.values().forEach(p -> p.getGradient().subi(p.getGradient()));
    try (NDManager step = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      Engine.getInstance().setRandomSeed(77);
      NDArray loss = model.trainingLoss(step.create(IDS, new Shape(2, 7)), step.create(SEGMENTS, new Shape(2, 7)),
          step.create(labels, new Shape(2, 7)), training);
      gc.backward(loss);
      assertThat(loss.getShape()).isEqualTo(new Shape());
      assertThat((double) loss.getFloat()).isCloseTo(referenceLoss, org.assertj.core.data.Offset.offset(
          1e-5 * Math.max(1, Math.abs(referenceLoss))));
      assertThat(referenceLoss).isGreaterThan(0.5f);
      int nonZero = 0;
      for (Map.Entry<String, NDArray> e : trainable.entrySet()) {
        float[] expected = reference.get(e.getKey());
        float[] actual = e.getValue().getGradient().toFloatArray();
        double scale = 0;
        for (float f : expected) {
          scale = Math.max(scale, Math.abs(f));
        }
        for (int i = 0; i < expected.length; i++) {
          assertThat((double) Math.abs(actual[i] - expected[i])).as("%s[%d]", e.getKey(), i)
              .isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
        }
        nonZero += scale > 0 ? 1 : 0;
      }
      assertThat(nonZero).as("parameters with a gradient").isGreaterThan(trainable.size() / 2);
    }
    trainable.values().forEach(p -> p.getGradient().subi(p.getGradient()));
  }
}
