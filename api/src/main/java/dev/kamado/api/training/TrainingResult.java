package dev.kamado.api.training;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kamado.api.v1alpha1.ModelVersion;

/**
 * What the trainer reports at exit in its termination message: the produced model on success, or the reason it
 * failed (for example {@code "train.jsonl line 12: missing field \"messages\""}).
 *
 * @param model the produced model, on success
 * @param error one readable reason, on failure
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record TrainingResult(ModelVersion model, String error) {}
