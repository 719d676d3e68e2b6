package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a FineTuneJob trains the model to do. */
public enum Objective {
  /** Supervised fine-tuning on chat or completion examples; the loss is taken on the answer tokens only. */
  @JsonProperty("sft")
  SFT,
  /** Next-token prediction on plain domain text, to teach vocabulary and facts before fine-tuning. */
  @JsonProperty("continued-pretraining")
  CONTINUED_PRETRAINING,
  /** Learn from a teacher model's answers (served at spec.teacher.endpoint) on the dataset's prompts. */
  @JsonProperty("distillation")
  DISTILLATION
}
