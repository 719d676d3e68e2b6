package dev.kamado.operator.status;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.Objects;

/** Patches a resource's status only when the reconciler changed it, so that idle resources cost no API calls. */
public final class StatusPatch {
  private StatusPatch() {}

  /** A deep copy of the status as it was read, to compare against after the reconciler has edited it. */
  public static <S> S snapshot(S status) {
    return status == null ? null : Serialization.clone(status);
  }

  public static <R extends CustomResource<?, S>, S> UpdateControl<R> ifChanged(R resource, S before) {
    String old = before == null ? null : Serialization.asJson(before);
    String now = resource.getStatus() == null ? null : Serialization.asJson(resource.getStatus());
    if (Objects.equals(old, now)) {
      return UpdateControl.noUpdate();
    }
    // Server-side apply of the fields this operator owns, without optimistic locking: the status is recomputed
    // from the observed state on every reconcile (one at a time per resource), so a stale resourceVersion would only
    // cost a conflict and a needless retry.
    resource.getMetadata().setResourceVersion(null);
    return UpdateControl.patchStatus(resource);
  }
}
