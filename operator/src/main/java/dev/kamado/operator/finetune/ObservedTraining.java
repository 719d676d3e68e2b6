package dev.kamado.operator.finetune;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.time.Instant;
import java.util.List;

/**
 * What the reconciler observed of one FineTuneJob's training: the base model resolution, its Job (null when there is
 * none), the Job's pods, the progress ConfigMap (null when absent), whether the user suspended it and whether Kueue
 * manages it.
 */
public record ObservedTraining(
    BaseModelResolution base,
    Job job,
    List<Pod> pods,
    ConfigMap progress,
    boolean userSuspended,
    boolean queued,
    Instant now) {}
