package dev.kamado.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real local Kubernetes control plane started from the binaries that {@code hack/control-plane/build.sh} builds:
 * kube-apiserver and etcd ({@link Mode#APISERVER}), or additionally kube-controller-manager, kube-scheduler and KWOK
 * with fake nodes ({@link Mode#FULL}). It runs {@code hack/control-plane/cluster.sh}, the same script as
 * {@code make dev-cluster}, so tests exercise exactly what developers run.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);

  /** Which components run. */
  public enum Mode {
    /** etcd and kube-apiserver: enough for CRD validation, server-side apply and the operator's own logic. */
    APISERVER,
    /** Also controller-manager, scheduler and KWOK, so that Jobs and Deployments really progress. */
    FULL
  }

  private final Path dir;
  private final Mode mode;
  private final Path kubeconfig;
  private final KubernetesClient client;

  private ControlPlane(Path dir, Mode mode) {
    this.dir = dir;
    this.mode = mode;
    this.kubeconfig = dir.resolve("kubeconfig");
    this.client = newClient();
  }

  /** Builds the binaries if needed (cached under ~/.cache/kamado) and starts a control plane in {@code dir}. */
  public static ControlPlane start(Mode mode, Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path root = RepoLayout.root();
    long t0 = System.nanoTime();
    run(dir.resolve("build.log"), Duration.ofMinutes(60), root.resolve("hack/control-plane/build.sh").toString());
    // A run that was killed may have left a control plane behind in the same folder: stop it and start afresh
    // (--purge drops the old etcd data, so every run begins with an empty cluster).
    run(dir.resolve("down.log"), Duration.ofMinutes(2),
        root.resolve("hack/control-plane/cluster.sh").toString(), "down", "--dir", dir.toString(), "--purge");
    run(dir.resolve("up.log"), Duration.ofMinutes(5),
        root.resolve("hack/control-plane/cluster.sh").toString(), "up", "--dir", dir.toString(),
        "--mode", mode.name().toLowerCase(Locale.ROOT));
    LOG.info("Control plane ({}) up in {} ms at {}", mode, (System.nanoTime() - t0) / 1_000_000, dir);
    return new ControlPlane(dir, mode);
  }

  public Mode mode() {
    return mode;
  }

  public Path dir() {
    return dir;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  /** A client with cluster-admin rights, shared; closed with the control plane. */
  public KubernetesClient client() {
    return client;
  }

  /** A new admin client that the caller owns and closes, for example to hand to an operator under test. */
  public KubernetesClient newClient() {
    try {
      String text = Files.readString(kubeconfig, StandardCharsets.UTF_8);
      Config config = Config.fromKubeconfig(null, text, kubeconfig.toString());
      config.setRequestTimeout(30_000);
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + kubeconfig, e);
    }
  }

  /** Creates a namespace with a unique name starting with {@code prefix}. */
  public String createNamespace(String prefix) {
    String name = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  /** Applies every CRD in {@code crdDir} (server-side) and waits until each is Established. */
  public List<CustomResourceDefinition> installCrds(Path crdDir) {
    List<CustomResourceDefinition> installed = new ArrayList<>();
    try (Stream<Path> files = Files.list(crdDir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
          installed.add(client.resource(crd).forceConflicts().serverSideApply());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (CustomResourceDefinition crd : installed) {
      client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
          .waitUntilCondition(ControlPlane::established, 60, TimeUnit.SECONDS);
    }
    return installed;
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  @Override
  public void close() {
    client.close();
    try {
      run(dir.resolve("down.log"), Duration.ofMinutes(2),
          RepoLayout.root().resolve("hack/control-plane/cluster.sh").toString(), "down", "--dir", dir.toString());
    } catch (RuntimeException e) {
      LOG.warn("Stopping the control plane in {} failed: {}", dir, e.getMessage());
    }
  }

  /** Runs a script, its output to {@code log}; fails with the log's tail when it exits non-zero or hangs. */
  private static void run(Path log, Duration timeout, String... command) {
    try {
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout
            + "; its output is in " + log + ":\n" + tail(log));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue()
            + "; its output is in " + log + ":\n" + tail(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command[0], e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }
}
