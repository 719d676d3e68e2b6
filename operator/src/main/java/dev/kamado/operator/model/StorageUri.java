package dev.kamado.operator.model;

import dev.kamado.api.training.TrainerContract;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code pvc://claim/path} location: the PersistentVolumeClaim in the resource's namespace and the path inside
 * it. Pods mount each claim once at {@code /kamado/volumes/<claim>}.
 */
public record StorageUri(String claim, String path) {
  private static final Pattern PVC = Pattern.compile("^pvc://([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(/(.*))?$");

  /** Parses a URI the CRD schema already accepted; anything else is a programming error. */
  public static StorageUri parse(String uri) {
    Matcher m = uri == null ? null : PVC.matcher(uri);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("not a pvc://<claim>/<path> URI: " + uri);
    }
    String path = m.group(4) == null ? "" : m.group(4);
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new StorageUri(m.group(1), path);
  }

  /** Where the claim is mounted in the pod. */
  public String claimMountPath() {
    return TrainerContract.VOLUMES_DIR + "/" + claim;
  }

  /** The location's path in the pod. */
  public String mountedPath() {
    return path.isEmpty() ? claimMountPath() : claimMountPath() + "/" + path;
  }

  /** A location below this one, for example {@code checkpoints/step-200}. */
  public StorageUri resolve(String relative) {
    String rel = relative.startsWith("/") ? relative.substring(1) : relative;
    return new StorageUri(claim, path.isEmpty() ? rel : path + "/" + rel);
  }

  public String uri() {
    return path.isEmpty() ? "pvc://" + claim : "pvc://" + claim + "/" + path;
  }

  @Override
  public String toString() {
    return uri();
  }
}
