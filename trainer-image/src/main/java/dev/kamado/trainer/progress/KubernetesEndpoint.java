package dev.kamado.trainer.progress;

import dev.kamado.api.training.TrainerContract;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How to reach the Kubernetes API server from a pod: its URL, the file holding the service account token (read
 * again for every request, since projected tokens are rotated), the CA certificate that signs the server's
 * certificate, and the namespace and name of the progress ConfigMap.
 *
 * @param server base URL, for example {@code https://10.96.0.1:443}
 * @param tokenFile service account token file
 * @param caFile PEM file with the CA certificate(s)
 * @param namespace namespace of the ConfigMap
 * @param configMap name of the progress ConfigMap
 */
public record KubernetesEndpoint(URI server, Path tokenFile, Path caFile, String namespace, String configMap) {
  /** Where Kubernetes mounts the service account's credentials. */
  public static final Path SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  /**
   * The in-cluster endpoint from the environment ({@code KUBERNETES_SERVICE_HOST}, {@code KUBERNETES_SERVICE_PORT},
   * {@value TrainerContract#ENV_PROGRESS_CONFIGMAP}, {@value TrainerContract#ENV_NAMESPACE}) and the mounted service
   * account; empty when not running in a pod with a progress ConfigMap.
   */
  public static Optional<KubernetesEndpoint> fromEnvironment(Map<String, String> env, Path serviceAccountDir) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    String name = env.get(TrainerContract.ENV_PROGRESS_CONFIGMAP);
    if (host == null || host.isBlank() || name == null || name.isBlank()) {
      return Optional.empty();
    }
    String namespace = env.get(TrainerContract.ENV_NAMESPACE);
    Path nsFile = serviceAccountDir.resolve("namespace");
    if ((namespace == null || namespace.isBlank()) && Files.isRegularFile(nsFile)) {
      try {
        namespace = Files.readString(nsFile).trim();
      } catch (IOException e) {
        namespace = null;
      }
    }
    if (namespace == null || namespace.isBlank()) {
      return Optional.empty();
    }
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return Optional.of(new KubernetesEndpoint(URI.create("https://" + h + ":" + port), serviceAccountDir.resolve("token"),
        serviceAccountDir.resolve("ca.crt"), namespace, name));
  }

  /** URL of the ConfigMap. */
  public URI configMapUri() {
    String base = server.toString().replaceAll("/+$", "");
    return URI.create(base + "/api/v1/namespaces/" + namespace + "/configmaps/" + configMap);
  }

  /** A TLS context that trusts exactly the certificates in {@link #caFile()}. */
  public SSLContext sslContext() throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
