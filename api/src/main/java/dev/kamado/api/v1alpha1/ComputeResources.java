package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Quantity;

/** Compute resources of each pod. Requests equal limits, as GPU resources require. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ComputeResources {
  @Min(0)
  @Max(64)
  @Default("0")
  @JsonPropertyDescription("Number of GPUs per pod (requests and limits of gpuResourceName). 0 runs on CPU.")
  private Integer gpus;

  @Size(max = 253)
  @Pattern(Patterns.RESOURCE_NAME)
  @Default("nvidia.com/gpu")
  @JsonPropertyDescription("Extended resource name that GPUs are requested as, for example nvidia.com/gpu or amd.com/gpu.")
  private String gpuResourceName;

  @ValidationRule(value = Patterns.QUANTITY_RULE, message = Patterns.QUANTITY_MESSAGE)
  @JsonPropertyDescription("CPU per pod as a Kubernetes quantity, for example 8 or 7500m.")
  private Quantity cpu;

  @ValidationRule(value = Patterns.QUANTITY_RULE, message = Patterns.QUANTITY_MESSAGE)
  @JsonPropertyDescription("Memory per pod as a Kubernetes quantity, for example 64Gi.")
  private Quantity memory;

  @ValidationRule(value = Patterns.QUANTITY_RULE, message = Patterns.QUANTITY_MESSAGE)
  @JsonPropertyDescription(
      "Size of the in-memory /dev/shm volume (data loaders and NCCL need more than the container default of 64Mi). "
          + "Defaults to half of memory, or 1Gi when memory is not set.")
  private Quantity sharedMemory;

  public Integer getGpus() {
    return gpus;
  }

  public void setGpus(Integer gpus) {
    this.gpus = gpus;
  }

  public String getGpuResourceName() {
    return gpuResourceName;
  }

  public void setGpuResourceName(String gpuResourceName) {
    this.gpuResourceName = gpuResourceName;
  }

  public Quantity getCpu() {
    return cpu;
  }

  public void setCpu(Quantity cpu) {
    this.cpu = cpu;
  }

  public Quantity getMemory() {
    return memory;
  }

  public void setMemory(Quantity memory) {
    this.memory = memory;
  }

  public Quantity getSharedMemory() {
    return sharedMemory;
  }

  public void setSharedMemory(Quantity sharedMemory) {
    this.sharedMemory = sharedMemory;
  }
}
