package dev.kamado.model.llama;

import static dev.kamado.model.llama.TinyModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.kamado.model.Engines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {

  static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
      "down_proj");
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
  void freshAdapterIsANoOpAndHasPeftNamesAndShapes() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 31)) {
      int[] tokens = TinyModels.tokens(1, 7, 61);
      float[][] base = TinyModels.forwardRow(model, root, tokens);
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(4, 8, 0, ALL), 7);
      assertThat(lora.parameters()).hasSize(2 * 7 * 2);
      NDArray a = lora.parameters().get("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight");
      assertThat(a.getShape()).isEqualTo(new Shape(4, 48));
      for (float f : a.toFloatArray()) {
        assertThat(Math.abs(f)).isLessThanOrEqualTo((float) (1 / Math.sqrt(48)));
      }
      assertThat(lora.parameters().get("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight").getShape())
          .isEqualTo(new Shape(16, 4));
      model.attach(lora);
      assertThat(maxDiff(TinyModels.forwardRow(model, root, tokens), base)).isZero();
    }
  }

  @Test
  void attachedAdapterMatchesPlainJavaMathAndMergeGivesTheSame() {
    try (LlamaModel model = TinyModels.model(root, "qwen2", true, 32)) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(3, 12, 0.2, ALL), 8);
      TinyModels.randomiseB(lora, 9);
      model.attach(lora);
      int[] tokens = TinyModels.tokens(2, 8, 61);
      NaiveLlama naive = new NaiveLlama(model);
      naive.lora(lora);
      float[][] attached = TinyModels.forwardRow(model, root, tokens);
      assertThat(maxDiff(attached, naive.logits(tokens))).isLessThan(1e-4);
      model.mergeLora();
      assertThat(model.attached()).isNull();
      assertThat(maxDiff(TinyModels.forwardRow(model, root, tokens), attached)).isLessThan(1e-5);
    }
  }

  @Test
  void dropoutActsOnlyInTrainingAndFollowsTheEngineSeed() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 33); NDManager step = root.newSubManager()) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(4, 8, 0.5, List.of("q_proj", "v_proj")), 8);
      TinyModels.randomiseB(lora, 10);
      model.attach(lora);
      NDArray ids = step.create(new long[] {1, 2, 3, 4, 5}, new Shape(1, 5));
      float[] eval1 = model.forward(ids, null, false).toFloatArray();
      float[] eval2 = model.forward(ids, null, false).toFloatArray();
      Engine.getInstance().setRandomSeed(42);
      float[] train1 = model.forward(ids, null, true).toFloatArray();
      Engine.getInstance().setRandomSeed(42);
      float[] train2 = model.forward(ids, null, true).toFloatArray();
      assertThat(eval1).containsExactly(eval2);
      assertThat(train1).containsExactly(train2);
      assertThat(maxDiff(train1, eval1)).isGreaterThan(1e-4);
    }
  }

  @Test
  void saveAndLoadRoundTrip(@TempDir Path dir) throws IOException {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 34)) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(2, 4, 0.05, List.of("v_proj", "gate_proj")), 8);
      TinyModels.randomiseB(lora, 11);
      lora.save(dir, "/models/base");
      String json = Files.readString(dir.resolve("adapter_config.json"));
      assertThat(json).contains("\"peft_type\" : \"LORA\"").contains("\"base_model_name_or_path\" : \"/models/base\"")
          .contains("\"r\" : 2");
      try (LoraAdapter back = LoraAdapter.load(dir, model)) {
        assertThat(back.config()).isEqualTo(lora.config());
        assertThat(back.parameters().keySet()).containsExactlyElementsOf(lora.parameters().keySet());
        for (var e : lora.parameters().entrySet()) {
          assertThat(back.parameters().get(e.getKey()).toFloatArray()).containsExactly(e.getValue().toFloatArray());
        }
      }
    }
  }

  @Test
  void loadRefusesWhatItDoesNotImplement(@TempDir Path dir) throws IOException {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 35)) {
      LoraAdapter.create(model, new LoraConfig(2, 4, 0, List.of("q_proj")), 8).save(dir, "");
      String good = Files.readString(dir.resolve("adapter_config.json"));
      Files.writeString(dir.resolve("adapter_config.json"), good.replace("\"use_dora\" : false", "\"use_dora\" : true"));
      assertThatThrownBy(() -> LoraAdapter.load(dir, model)).isInstanceOf(IOException.class)
          .hasMessageContaining("adapter_config.json: use_dora");
      Files.writeString(dir.resolve("adapter_config.json"), good.replace("\"r\" : 2", "\"r\" : 3"));
      assertThatThrownBy(() -> LoraAdapter.load(dir, model)).isInstanceOf(IOException.class)
          .hasMessageContaining("has shape [2, 32], expected [3, 32]");
      Files.writeString(dir.resolve("adapter_config.json"),
          good.replace("\"q_proj\" ]", "\"q_proj\", \"lm_head\" ]"));
      assertThatThrownBy(() -> LoraAdapter.load(dir, model)).isInstanceOf(IOException.class)
          .hasMessageContaining("unknown module 'lm_head'");
    }
    assertThatThrownBy(() -> new LoraConfig(0, 8, 0, List.of("q_proj"))).hasMessageContaining("r (LoRA rank)");
  }

  @Test
  void attachRefusesAnAdapterOfAnotherShape() {
    try (LlamaModel small = TinyModels.model(root, "llama", false, 36);
        LlamaModel wide = TinyModels.model(root, TinyModels.config("llama", false, 64), 37)) {
      LoraAdapter lora = LoraAdapter.create(wide, new LoraConfig(2, 4, 0, List.of("up_proj")), 1);
      assertThatThrownBy(() -> small.attach(lora)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("LoRA adapter's up_proj is [64, 32], the model's [48, 32]");
      assertThat(small.attached()).isNull();
    }
  }
}
