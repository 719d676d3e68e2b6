package dev.kamado.operator.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** Labels the operator puts on what it creates, so its informers can find them and users can select them. */
public final class KamadoLabels {
  public static final String NAME = "app.kubernetes.io/name";
  public static final String INSTANCE = "app.kubernetes.io/instance";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String FINE_TUNE_JOB = "kamado.dev/finetunejob";
  public static final String MANAGER = "kamado-operator";
  public static final String KUEUE_QUEUE = "kueue.x-k8s.io/queue-name";

  private KamadoLabels() {}

  /** Labels of everything that belongs to one FineTuneJob. */
  public static Map<String, String> forFineTuneJob(String name, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, "kamado-trainer");
    labels.put(INSTANCE, name);
    labels.put(COMPONENT, component);
    labels.put(MANAGED_BY, MANAGER);
    labels.put(FINE_TUNE_JOB, name);
    return labels;
  }
}
