package dev.kamado.operator;

/**
 * The operator's preference of TLS cipher suites for its connections to the kube-apiserver.
 *
 * <p>The chart runs the operator's JVM with the C1 compiler only ({@code -XX:TieredStopAtLevel=1}): it starts and
 * warms up on far less CPU. But the AES and GHASH intrinsics are C2's, so under C1 AES-GCM runs as plain Java, and
 * decrypting the watch streams took about a fifth of the operator's CPU in the scale benchmark. ChaCha20-Poly1305 is
 * cheap in plain Java, so this puts it first and keeps the AES-GCM suites after it for servers without ChaCha20.
 * A {@code -Djdk.tls.client.cipherSuites} given on the command line wins.
 */
public final class TlsDefaults {
  static final String PROPERTY = "jdk.tls.client.cipherSuites";
  static final String CIPHER_SUITES = String.join(",",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");

  private TlsDefaults() {}

  /** Sets the preference unless the JVM was given one. Call before the first TLS connection. */
  public static void apply() {
    if (System.getProperty(PROPERTY) == null) {
      System.setProperty(PROPERTY, CIPHER_SUITES);
    }
  }
}
