package dev.kamado.operator.model;

import dev.kamado.api.v1alpha1.ComputeResources;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** What Kamado's pods share: requests and limits from a resource's {@code resources}, the pod security context. */
public final class ContainerResources {
  private ContainerResources() {}

  /**
   * GPUs (under their resource name, default {@code nvidia.com/gpu}) as request and limit, CPU as a request only (no
   * throttling), memory as request and limit.
   */
  public static ResourceRequirements of(ComputeResources res) {
    Map<String, Quantity> requests = new LinkedHashMap<>();
    Map<String, Quantity> limits = new LinkedHashMap<>();
    int gpus = Objects.requireNonNullElse(res.getGpus(), 0);
    if (gpus > 0) {
      String gpuName = Objects.requireNonNullElse(res.getGpuResourceName(), "nvidia.com/gpu");
      requests.put(gpuName, new Quantity(String.valueOf(gpus)));
      limits.put(gpuName, new Quantity(String.valueOf(gpus)));
    }
    if (res.getCpu() != null) {
      requests.put("cpu", res.getCpu());
    }
    if (res.getMemory() != null) {
      requests.put("memory", res.getMemory());
      limits.put("memory", res.getMemory());
    }
    return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
  }

  /** Non-root as {@code uid} (user, group and fsGroup), RuntimeDefault seccomp. */
  public static PodSecurityContext nonRootPod(long uid) {
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(true)
        .withRunAsUser(uid)
        .withRunAsGroup(uid)
        .withFsGroup(uid)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .build();
  }
}
