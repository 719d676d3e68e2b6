package dev.kamado.operator.finetune;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.operator.status.Conditions;
import dev.kamado.operator.status.StatusPatch;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;

/**
 * Reconciles FineTuneJobs. This version records that the resource was accepted and which generation it saw; the
 * training Job, checkpoints and progress come with the FineTuneJob reconciler issue.
 */
@ControllerConfiguration(name = FineTuneJobReconciler.NAME)
public class FineTuneJobReconciler implements Reconciler<FineTuneJob> {
  public static final String NAME = "finetunejob";

  private final Clock clock;

  public FineTuneJobReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public UpdateControl<FineTuneJob> reconcile(FineTuneJob job, Context<FineTuneJob> context) {
    if (job.getStatus() == null) {
      job.setStatus(new FineTuneJobStatus());
    }
    FineTuneJobStatus before = StatusPatch.snapshot(job.getStatus());
    FineTuneJobStatus status = job.getStatus();
    Long generation = job.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    if (status.getPhase() == null) {
      status.setPhase(FineTuneJobPhase.Pending);
    }
    Conditions.set(
        status.getConditions(),
        "Accepted",
        Conditions.TRUE,
        "SpecValid",
        "The spec passed validation; this operator version does not create training Jobs yet.",
        generation,
        clock.instant());
    return StatusPatch.ifChanged(job, before);
  }
}
