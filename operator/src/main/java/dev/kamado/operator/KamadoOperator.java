package dev.kamado.operator;

import dev.kamado.operator.autoscale.MetricsSource;
import dev.kamado.operator.autoscale.PodMetricsScraper;
import dev.kamado.operator.autoscale.PrometheusMetricsSource;
import dev.kamado.operator.finetune.FineTuneJobReconciler;
import dev.kamado.operator.http.OperatorEndpoints;
import dev.kamado.operator.http.OperatorEndpoints.Probe;
import dev.kamado.operator.metrics.ReconcilerMetrics;
import dev.kamado.operator.serving.ModelServerReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The running operator: the Java Operator SDK runtime with Kamado's reconcilers, plus its HTTP endpoints. */
public final class KamadoOperator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KamadoOperator.class);

  private final Operator operator;
  private final OperatorEndpoints endpoints;
  private final KubernetesClient client;
  private final AtomicBoolean closed = new AtomicBoolean();

  private KamadoOperator(Operator operator, OperatorEndpoints endpoints, KubernetesClient client) {
    this.operator = operator;
    this.endpoints = endpoints;
    this.client = client;
  }

  /** Starts with a client built from the kubeconfig or in-cluster configuration. */
  public static KamadoOperator start(OperatorConfig config) {
    return start(config, new KubernetesClientBuilder().build(), Clock.systemUTC());
  }

  /** Starts with the given client, which the operator closes when it stops. */
  public static KamadoOperator start(OperatorConfig config, KubernetesClient client, Clock clock) {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    ReconcilerMetrics metrics = new ReconcilerMetrics(registry);
    metrics.setLeader(!config.leaderElection());

    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withMetrics(metrics)
          .withConcurrentReconciliationThreads(config.reconcileThreads())
          .withReconciliationTerminationTimeout(config.shutdownGrace())
          .withCloseClientOnStop(true);
      if (config.leaderElection()) {
        LeaderCallbacks callbacks = new LeaderCallbacks(
            () -> {
              metrics.setLeader(true);
              LOG.info("Became leader ({}/{}) as {}", config.leaderElectionNamespace(), OperatorConfig.LEASE_NAME,
                  config.identity());
            },
            () -> {
              metrics.setLeader(false);
              LOG.warn("Lost leadership; exiting so that a fresh replica takes over");
            },
            leader -> LOG.info("Leader is now {}", leader));
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(
            OperatorConfig.LEASE_NAME,
            config.leaderElectionNamespace(),
            LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
            LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
            LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
            config.identity(),
            callbacks,
            true));
      }
    });
    register(operator, new FineTuneJobReconciler(config, clock), config);
    MetricsSource serverMetrics = config.prometheusUrl() == null || config.prometheusUrl().isBlank()
        ? new PodMetricsScraper(Duration.ofSeconds(2), clock)
        : new PrometheusMetricsSource(config.prometheusUrl(), "1m", Duration.ofSeconds(3));
    register(operator, new ModelServerReconciler(config, clock, serverMetrics,
        ModelServerReconciler.EVALUATION_INTERVAL), config);

    OperatorEndpoints endpoints;
    try {
      endpoints = OperatorEndpoints.start(
          config.httpPort(),
          () -> probe(operator, true),
          () -> probe(operator, false),
          registry);
    } catch (IOException e) {
      operator.stop();
      throw new UncheckedIOException("cannot listen on port " + config.httpPort() + " for /healthz, /readyz, /metrics", e);
    }
    operator.start();
    LOG.info(
        "Kamado operator started: namespaces={}, leaderElection={}, http port {}",
        config.watchesAllNamespaces() ? "all" : config.namespaces(),
        config.leaderElection(),
        endpoints.port());
    return new KamadoOperator(operator, endpoints, client);
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> void register(
      Operator operator, Reconciler<R> reconciler, OperatorConfig config) {
    operator.register(reconciler, o -> {
      if (config.watchesAllNamespaces()) {
        o.watchingAllNamespaces();
      } else {
        o.settingNamespaces(config.namespaces());
      }
    });
  }

  /** Liveness holds while the operator starts; readiness waits for it. Both fail on unhealthy event sources. */
  private static Probe probe(Operator operator, boolean okWhileStarting) {
    var info = operator.getRuntimeInfo();
    if (!info.isStarted()) {
      return new Probe(okWhileStarting, "operator starting");
    }
    return info.allEventSourcesAreHealthy()
        ? new Probe(true, "event sources healthy")
        : new Probe(false, "unhealthy event sources: " + info.unhealthyEventSources().keySet());
  }

  public int httpPort() {
    return endpoints.port();
  }

  public KubernetesClient client() {
    return client;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      LOG.info("Stopping the Kamado operator");
      endpoints.close();
      operator.stop();
    }
  }
}
