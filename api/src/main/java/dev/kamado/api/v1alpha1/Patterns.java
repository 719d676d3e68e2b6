package dev.kamado.api.v1alpha1;

/** Regular expressions shared by the schema annotations, so that both resources accept the same strings. */
public final class Patterns {
  /**
   * A model or data location. Today {@code pvc://<claim>/<path>}: a PersistentVolumeClaim in the resource's own
   * namespace and a path inside it. The claim name is a DNS-1123 label; the path has no {@code ..} segment.
   */
  public static final String STORAGE_URI =
      "^pvc://[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(/([^/\\s]+/)*[^/\\s]*)?$";

  /** CEL rule that keeps a storage path inside its volume: no {@code ..} segment. */
  public static final String NO_PARENT_SEGMENT_RULE = "!self.contains('/../') && !self.endsWith('/..')";

  public static final String NO_PARENT_SEGMENT_MESSAGE = "must not contain a '..' path segment";

  /**
   * CEL rule for an int-or-string quantity field: a non-negative integer, or a string the API server parses as a
   * non-negative quantity. (OpenAPI patterns are not emitted for int-or-string fields, so CEL checks them.)
   */
  public static final String QUANTITY_RULE =
      "type(self) == int ? self >= 0 : (isQuantity(self) && !quantity(self).isLessThan(quantity('0')))";

  public static final String QUANTITY_MESSAGE =
      "must be a non-negative Kubernetes quantity, for example 8, 500m or 64Gi";

  /** An extended resource name such as {@code nvidia.com/gpu} or {@code amd.com/gpu}. */
  public static final String RESOURCE_NAME =
      "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

  /** A DNS-1123 subdomain, the form of most object names. */
  public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

  /** An http(s) URL of a service, for example a teacher model's OpenAI-compatible endpoint. */
  public static final String HTTP_URL = "^https?://[^\\s/]+(/\\S*)?$";

  private Patterns() {}
}
