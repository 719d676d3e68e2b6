package dev.kamado.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

  /** Llama 3.2 1B Instruct, as published. */
  static final String LLAMA = """
      {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": false,
        "attention_dropout": 0.0,
        "bos_token_id": 128000,
        "eos_token_id": [128001, 128008, 128009],
        "head_dim": 64,
        "hidden_act": "silu",
        "hidden_size": 2048,
        "initializer_range": 0.02,
        "intermediate_size": 8192,
        "max_position_embeddings": 131072,
        "mlp_bias": false,
        "model_type": "llama",
        "num_attention_heads": 32,
        "num_hidden_layers": 16,
        "num_key_value_heads": 8,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-05,
        "rope_scaling": {
          "factor": 32.0,
          "high_freq_factor": 4.0,
          "low_freq_factor": 1.0,
          "original_max_position_embeddings": 8192,
          "rope_type": "llama3"
        },
        "rope_theta": 500000.0,
        "tie_word_embeddings": true,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.45.0.dev0",
        "use_cache": true,
        "vocab_size": 128256
      }
      """;

  /** Qwen2.5 0.5B Instruct, as published. */
  static final String QWEN2 = """
      {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "hidden_act": "silu",
        "hidden_size": 896,
        "initializer_range": 0.02,
        "intermediate_size": 4864,
        "max_position_embeddings": 32768,
        "max_window_layers": 21,
        "model_type": "qwen2",
        "num_attention_heads": 14,
        "num_hidden_layers": 24,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0,
        "sliding_window": 32768,
        "tie_word_embeddings": true,
        "torch_dtype": "bfloat16",
        "transformers_version": "4.43.1",
        "use_cache": true,
        "use_sliding_window": false,
        "vocab_size": 151936
      }
      """;

  /** A minimal tiny llama with every optional field left out. */
  static final String TINY = """
      {"model_type": "llama", "vocab_size": 256, "hidden_size": 64, "intermediate_size": 128,
       "num_hidden_layers": 2, "num_attention_heads": 4}
      """;

  @TempDir
  Path dir;

  @Test
  void parsesLlama() {
    ModelConfig c = ModelConfigJson.parse(LLAMA);
    assertThat(c.modelType()).isEqualTo("llama");
    assertThat(c.vocabSize()).isEqualTo(128256);
    assertThat(c.hiddenSize()).isEqualTo(2048);
    assertThat(c.intermediateSize()).isEqualTo(8192);
    assertThat(c.numHiddenLayers()).isEqualTo(16);
    assertThat(c.numAttentionHeads()).isEqualTo(32);
    assertThat(c.numKeyValueHeads()).isEqualTo(8);
    assertThat(c.queriesPerKeyValueHead()).isEqualTo(4);
    assertThat(c.headDim()).isEqualTo(64);
    assertThat(c.rmsNormEps()).isEqualTo(1e-5);
    assertThat(c.ropeTheta()).isEqualTo(500000.0);
    assertThat(c.maxPositionEmbeddings()).isEqualTo(131072);
    assertThat(c.tieWordEmbeddings()).isTrue();
    assertThat(c.qkvBias()).isFalse();
    assertThat(c.oProjBias()).isFalse();
    assertThat(c.torchDtype()).isEqualTo("bfloat16");
    assertThat(c.bosTokenId()).isEqualTo(128000);
    assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
    assertThat(c.padTokenId()).isNull();
    assertThat(c.ropeScaling()).containsEntry("rope_type", "llama3").containsEntry("factor", 32.0)
        .containsEntry("original_max_position_embeddings", 8192);
    assertThat(c.architecture()).isEqualTo("LlamaForCausalLM");
  }

  @Test
  void parsesQwen2WithItsImplicitQkvBias() {
    ModelConfig c = ModelConfigJson.parse(QWEN2);
    assertThat(c.modelType()).isEqualTo("qwen2");
    assertThat(c.headDim()).isEqualTo(64); // 896 / 14
    assertThat(c.numKeyValueHeads()).isEqualTo(2);
    assertThat(c.ropeTheta()).isEqualTo(1e6);
    assertThat(c.rmsNormEps()).isEqualTo(1e-6);
    assertThat(c.qkvBias()).isTrue();
    assertThat(c.oProjBias()).isFalse();
    assertThat(c.eosTokenIds()).containsExactly(151645);
    assertThat(c.architecture()).isEqualTo("Qwen2ForCausalLM");
    assertThat(c.ropeScaling()).isNull();
  }

  @Test
  void appliesDefaults() {
    ModelConfig c = ModelConfigJson.parse(TINY);
    assertThat(c.numKeyValueHeads()).isEqualTo(4);
    assertThat(c.headDim()).isEqualTo(16);
    assertThat(c.ropeTheta()).isEqualTo(10_000);
    assertThat(c.rmsNormEps()).isEqualTo(1e-6);
    assertThat(c.maxPositionEmbeddings()).isEqualTo(2048);
    assertThat(c.tieWordEmbeddings()).isFalse();
    assertThat(c.attentionBias()).isFalse();
    assertThat(c.hiddenAct()).isEqualTo("silu");
    assertThat(c.torchDtype()).isNull();
    assertThat(c.bosTokenId()).isNull();
    assertThat(c.eosTokenIds()).isEmpty();
    assertThat(ModelConfigJson.parse(TINY.replace("\"llama\"", "\"mistral\"")).maxPositionEmbeddings())
        .isEqualTo(131072);
    assertThat(ModelConfigJson.parse(TINY.replace("{", "{\"dtype\": \"float16\", ")).torchDtype())
        .isEqualTo("float16");
    assertThat(ModelConfigJson.parse(TINY.replace("{", "{\"attention_bias\": true, ")).oProjBias()).isTrue();
    assertThat(ModelConfigJson.parse(TINY.replace("{", "{\"pad_token_id\": -1, ")).padTokenId()).isNull();
  }

  @Test
  void writesAndReadsBack() throws IOException {
    for (String json : List.of(LLAMA, QWEN2, TINY)) {
      ModelConfig c = ModelConfigJson.parse(json);
      ModelConfigJson.write(c, dir);
      assertThat(ModelConfigJson.read(dir)).isEqualTo(c);
      assertThat(ModelConfigJson.toJson(ModelConfigJson.parse(ModelConfigJson.toJson(c))))
          .isEqualTo(ModelConfigJson.toJson(c));
    }
    String qwen = ModelConfigJson.toJson(ModelConfigJson.parse(QWEN2));
    assertThat(qwen).contains("\"architectures\" : [ \"Qwen2ForCausalLM\" ]").contains("\"eos_token_id\" : 151645")
        .doesNotContain("attention_bias").endsWith("}\n");
    assertThat(qwen.indexOf("\"architectures\"")).isLessThan(qwen.indexOf("\"vocab_size\""));
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(dir.resolve("config.json"));
    }
  }

  @Test
  void rejectsUnsupportedModelType() {
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("\"llama\"", "\"gpt2\"")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model_type 'gpt2' is not supported (supported: llama, qwen2, mistral)");
    assertThatThrownBy(() -> ModelConfigJson.parse("{\"hidden_size\": 4}"))
        .hasMessage("missing string field 'model_type'");
  }

  @Test
  void rejectsInconsistentSizes() {
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("\"hidden_size\": 64", "\"hidden_size\": 66")))
        .hasMessage("hidden_size (66) must be divisible by num_attention_heads (4)");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("{", "{\"num_key_value_heads\": 3, ")))
        .hasMessage("num_attention_heads (4) must be divisible by num_key_value_heads (3)");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("\"num_hidden_layers\": 2",
        "\"num_hidden_layers\": 0"))).hasMessage("num_hidden_layers must be positive, got 0");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("\"vocab_size\": 256", "\"vocab_size\": -5")))
        .hasMessage("vocab_size must be positive, got -5");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("{", "{\"rms_norm_eps\": 0, ")))
        .hasMessage("rms_norm_eps must be positive and finite, got 0.0");
    // an explicit head_dim frees hidden_size from being a multiple of the heads
    assertThat(ModelConfigJson.parse(TINY.replace("\"hidden_size\": 64", "\"hidden_size\": 66")
        .replace("{", "{\"head_dim\": 32, ")).headDim()).isEqualTo(32);
  }

  @Test
  void rejectsWrongTypesAndMissingFields() {
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("\"hidden_size\": 64", "\"hidden_size\": \"big\"")))
        .hasMessage("field 'hidden_size' must be an integer, got \"big\"");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("\"intermediate_size\": 128,", "")))
        .hasMessage("missing integer field 'intermediate_size'");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("{", "{\"eos_token_id\": [1, \"x\"], ")))
        .hasMessage("field 'eos_token_id' must be an integer, got \"x\"");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("{", "{\"tie_word_embeddings\": 1, ")))
        .hasMessage("field 'tie_word_embeddings' must be true or false, got 1");
    assertThatThrownBy(() -> ModelConfigJson.parse(TINY.replace("{", "{\"hidden_act\": \"gelu\", ")))
        .hasMessage("hidden_act 'gelu' is not supported (supported: silu)");
    assertThatThrownBy(() -> ModelConfigJson.parse("{\"model_type\": "))
        .hasMessageStartingWith("config.json is not valid JSON: ");
  }

  @Test
  void readNamesTheFile() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, TINY.replace("\"llama\"", "\"bert\""));
    assertThatThrownBy(() -> ModelConfigJson.read(file)).isInstanceOf(IOException.class)
        .hasMessage(file + ": model_type 'bert' is not supported (supported: llama, qwen2, mistral)");
  }
}
