package dev.kamado.api.training;

/**
 * What the operator and the trainer agree on: where the training configuration is mounted, how progress is
 * reported, and what the exit codes and the termination message mean. Both sides use these constants.
 *
 * <p>Progress: the trainer writes {@link ProgressReport} as JSON under the key {@link #PROGRESS_KEY} of the
 * ConfigMap named by {@link #ENV_PROGRESS_CONFIGMAP}, in the namespace {@link #ENV_NAMESPACE}, using its pod's
 * service account token. That account belongs to the one FineTuneJob and may only get, update and patch that one
 * ConfigMap, so a trainer can report only its own progress.
 *
 * <p>Result: at exit the trainer writes a {@link TrainingResult} as JSON to {@link #TERMINATION_LOG} (the
 * container's termination message, at most 4096 bytes) and to {@code kamado-manifest.json} in the output folder.
 */
public final class TrainerContract {
  /** Exit code for unusable input (malformed dataset, missing model files): the Job fails at once, no retry. */
  public static final int EXIT_INVALID_INPUT = 3;

  /** Folder where the operator mounts the training configuration (a downward-API volume). */
  public static final String CONFIG_DIR = "/etc/kamado";
  /** File name of the training configuration in {@link #CONFIG_DIR}. */
  public static final String CONFIG_KEY = "training.json";
  /**
   * Annotation on the training pod template holding the resolved training configuration (JSON); a downward-API volume
   * turns it into {@code CONFIG_DIR/CONFIG_KEY}, so the configuration needs no object of its own.
   */
  public static final String CONFIG_ANNOTATION = "kamado.dev/training-config";
  /** Key of the progress report in the progress ConfigMap. */
  public static final String PROGRESS_KEY = "progress.json";
  /** Annotation on the Job: sha256 of the training configuration and the pod template. */
  public static final String CONFIG_HASH_ANNOTATION = "kamado.dev/config-hash";

  public static final String ENV_CONFIG = "KAMADO_CONFIG";
  public static final String ENV_PROGRESS_CONFIGMAP = "KAMADO_PROGRESS_CONFIGMAP";
  public static final String ENV_NAMESPACE = "KAMADO_NAMESPACE";
  public static final String ENV_POD_NAME = "KAMADO_POD_NAME";

  public static final String TERMINATION_LOG = "/dev/termination-log";

  /** Where PersistentVolumeClaims are mounted: {@code pvc://claim/path} becomes {@code VOLUMES_DIR/claim/path}. */
  public static final String VOLUMES_DIR = "/kamado/volumes";

  private TrainerContract() {}
}
