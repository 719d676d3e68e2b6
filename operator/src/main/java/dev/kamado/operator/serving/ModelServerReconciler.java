package dev.kamado.operator.serving;

import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerPhase;
import dev.kamado.api.v1alpha1.ModelServerStatus;
import dev.kamado.operator.status.Conditions;
import dev.kamado.operator.status.StatusPatch;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.time.Clock;

/**
 * Reconciles ModelServers. This version records that the resource was accepted and which generation it saw; the
 * Deployment, Service and autoscaler come with the ModelServer reconciler issue.
 */
@ControllerConfiguration(name = ModelServerReconciler.NAME)
public class ModelServerReconciler implements Reconciler<ModelServer> {
  public static final String NAME = "modelserver";

  private final Clock clock;

  public ModelServerReconciler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public UpdateControl<ModelServer> reconcile(ModelServer server, Context<ModelServer> context) {
    if (server.getStatus() == null) {
      server.setStatus(new ModelServerStatus());
    }
    ModelServerStatus before = StatusPatch.snapshot(server.getStatus());
    ModelServerStatus status = server.getStatus();
    Long generation = server.getMetadata().getGeneration();
    status.setObservedGeneration(generation);
    if (status.getPhase() == null) {
      status.setPhase(ModelServerPhase.Pending);
    }
    Conditions.set(
        status.getConditions(),
        "Accepted",
        Conditions.TRUE,
        "SpecValid",
        "The spec passed validation; this operator version does not deploy inference servers yet.",
        generation,
        clock.instant());
    return StatusPatch.ifChanged(server, before);
  }
}
