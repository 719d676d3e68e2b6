package dev.kamado.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The architecture of a Llama-family decoder (model types {@code llama}, {@code qwen2}, {@code mistral}) as given by
 * a Hugging Face {@code config.json}. Read and write it with {@link ModelConfigJson}.
 *
 * <p>Field names in messages are the {@code config.json} names, so that a user can find the faulty line.
 *
 * @param modelType {@code model_type}: llama, qwen2 or mistral
 * @param vocabSize {@code vocab_size}: rows of the embedding and of the LM head
 * @param hiddenSize {@code hidden_size}: width of the residual stream
 * @param intermediateSize {@code intermediate_size}: width of the gated MLP
 * @param numHiddenLayers {@code num_hidden_layers}: decoder layers
 * @param numAttentionHeads {@code num_attention_heads}: query heads
 * @param numKeyValueHeads {@code num_key_value_heads}: key/value heads (grouped-query attention); defaults to the
 *     query heads
 * @param headDim {@code head_dim}: width of one head; defaults to hidden_size / num_attention_heads
 * @param rmsNormEps {@code rms_norm_eps}: epsilon of RMSNorm
 * @param ropeTheta {@code rope_theta}: base of the rotary position embedding (default 10000; Qwen2 models often 1e6)
 * @param maxPositionEmbeddings {@code max_position_embeddings}: longest sequence the model was trained for
 * @param tieWordEmbeddings {@code tie_word_embeddings}: whether the LM head shares the embedding matrix
 * @param attentionBias {@code attention_bias} (llama only): bias on q/k/v/o projections; see {@link #qkvBias()}
 * @param mlpBias {@code mlp_bias} (llama only): bias on the MLP projections
 * @param hiddenAct {@code hidden_act}: activation of the gated MLP (silu)
 * @param torchDtype {@code torch_dtype} (or {@code dtype}): the stored weight type, such as bfloat16; may be null
 * @param bosTokenId {@code bos_token_id}; may be null
 * @param eosTokenIds {@code eos_token_id}, one or several ids; may be empty
 * @param padTokenId {@code pad_token_id}; may be null
 * @param ropeScaling {@code rope_scaling} as given (for example Llama 3's {@code rope_type: llama3}); may be null
 */
public record ModelConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean mlpBias,
    String hiddenAct,
    String torchDtype,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    Integer padTokenId,
    Map<String, Object> ropeScaling) {

  /** The model types Kamado implements. */
  public static final Set<String> SUPPORTED_MODEL_TYPES = Set.of("llama", "qwen2", "mistral");

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the first invalid field and why
   */
  public ModelConfig {
    if (modelType == null || !SUPPORTED_MODEL_TYPES.contains(modelType)) {
      throw new IllegalArgumentException("model_type '" + modelType
          + "' is not supported (supported: llama, qwen2, mistral)");
    }
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_hidden_layers", numHiddenLayers);
    positive("num_attention_heads", numAttentionHeads);
    positive("num_key_value_heads", numKeyValueHeads);
    positive("head_dim", headDim);
    positive("max_position_embeddings", maxPositionEmbeddings);
    if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) {
      throw new IllegalArgumentException("rms_norm_eps must be positive and finite, got " + rmsNormEps);
    }
    if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
      throw new IllegalArgumentException("rope_theta must be positive and finite, got " + ropeTheta);
    }
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw new IllegalArgumentException("num_attention_heads (" + numAttentionHeads
          + ") must be divisible by num_key_value_heads (" + numKeyValueHeads + ")");
    }
    if (!"silu".equals(hiddenAct)) {
      throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported (supported: silu)");
    }
    if (bosTokenId != null && bosTokenId < 0) {
      throw new IllegalArgumentException("bos_token_id must not be negative, got " + bosTokenId);
    }
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    for (int id : eosTokenIds) {
      if (id < 0) {
        throw new IllegalArgumentException("eos_token_id must not be negative, got " + id);
      }
    }
    ropeScaling = ropeScaling == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(ropeScaling));
  }

  /**
   * A config with the defaults of {@code config.json} for everything but the sizes: key/value heads = query heads,
   * head_dim = hidden / heads, rms_norm_eps 1e-6, rope_theta 10000, no biases, untied embeddings, float32, no special
   * tokens.
   */
  public static ModelConfig of(String modelType, int vocabSize, int hiddenSize, int intermediateSize,
      int numHiddenLayers, int numAttentionHeads, int maxPositionEmbeddings) {
    return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
        numAttentionHeads, numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0, 1e-6, 10_000,
        maxPositionEmbeddings, false, false, false, "silu", "float32", null, List.of(), null, null);
  }

  /** Whether q_proj, k_proj and v_proj carry a bias: always for qwen2, {@code attention_bias} for llama. */
  public boolean qkvBias() {
    return "qwen2".equals(modelType) || ("llama".equals(modelType) && attentionBias);
  }

  /** Whether o_proj carries a bias: only llama with {@code attention_bias}. */
  public boolean oProjBias() {
    return "llama".equals(modelType) && attentionBias;
  }

  /** Query heads per key/value head. */
  public int queriesPerKeyValueHead() {
    return numAttentionHeads / numKeyValueHeads;
  }

  /** The Hugging Face architecture class name, for the {@code architectures} list of config.json. */
  public String architecture() {
    switch (modelType) {
      case "qwen2":
        return "Qwen2ForCausalLM";
      case "mistral":
        return "MistralForCausalLM";
      default:
        return "LlamaForCausalLM";
    }
  }

  private static void positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be positive, got " + value);
    }
  }
}
