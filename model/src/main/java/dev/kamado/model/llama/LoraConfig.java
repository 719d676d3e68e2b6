package dev.kamado.model.llama;

import java.util.List;
import java.util.Set;

/**
 * Settings of a LoRA adapter, with the meaning PEFT gives them.
 *
 * @param rank {@code r}: inner width of the low-rank update
 * @param alpha {@code lora_alpha}: the update is scaled by {@code alpha / rank}
 * @param dropout {@code lora_dropout}: dropout on the adapter's input while training
 * @param targetModules {@code target_modules}: projection names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,
 *     down_proj) that get an adapter in every layer
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {

  /** Module names a LoRA adapter can target. */
  public static final Set<String> MODULES =
      Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  /**
   * Validates the settings.
   *
   * @throws IllegalArgumentException naming the PEFT field that is invalid and why
   */
  public LoraConfig {
    if (rank <= 0) {
      throw new IllegalArgumentException("r (LoRA rank) must be positive, got " + rank);
    }
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("lora_alpha must be positive and finite, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException("target_modules must name at least one module");
    }
    targetModules = List.copyOf(targetModules);
    for (String m : targetModules) {
      if (!MODULES.contains(m)) {
        throw new IllegalArgumentException("target_modules: unknown module '" + m
            + "' (supported: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
      }
    }
    if (Set.copyOf(targetModules).size() != targetModules.size()) {
      throw new IllegalArgumentException("target_modules names a module twice: " + targetModules);
    }
  }

  /** The factor applied to {@code B @ A}: {@code alpha / rank}. */
  public double scaling() {
    return alpha / rank;
  }
}
