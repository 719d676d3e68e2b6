package dev.kamado.operator.serving;

/**
 * A model version a ModelServer serves: where it is, its digest when known, and the FineTuneJob it came from.
 *
 * @param uri model folder, {@code pvc://claim/path}
 * @param digest {@code sha256:<hex>}, or null when the model was given as a bare URI
 * @param fineTuneJob name of the FineTuneJob that produced it, or null
 */
public record ServedVersion(String uri, String digest, String fineTuneJob) {
  /** Whether pods annotated with {@code uri} and {@code digest} run this version. */
  public boolean matches(String podUri, String podDigest) {
    return uri.equals(podUri) && java.util.Objects.equals(digest, podDigest);
  }

  /** The version as people read it: the URI, with the digest's first 12 hex digits when known. */
  public String label() {
    if (digest == null) {
      return uri;
    }
    String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
    return uri + "@" + hex.substring(0, Math.min(12, hex.length()));
  }
}
