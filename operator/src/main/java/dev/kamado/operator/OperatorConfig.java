package dev.kamado.operator;

import java.time.Duration;
import java.util.Set;

/**
 * The operator's configuration, read once at start from flags and environment variables (see {@link Main}).
 *
 * @param namespaces namespaces to watch; empty means all namespaces
 * @param httpPort port of /healthz, /readyz and /metrics; 0 picks a free port
 * @param leaderElection whether to elect a leader among replicas before reconciling
 * @param leaderElectionNamespace namespace of the leader-election Lease
 * @param identity this replica's name in the Lease (the pod name in a cluster)
 * @param trainerImage default image of FineTuneJob training pods
 * @param serverImage default image of ModelServer pods
 * @param prometheusUrl base URL of the Prometheus HTTP API the autoscaler reads; empty to scrape pods directly
 * @param reconcileThreads concurrent reconciliations
 * @param shutdownGrace time given to running reconciliations at shutdown
 */
public record OperatorConfig(
    Set<String> namespaces,
    int httpPort,
    boolean leaderElection,
    String leaderElectionNamespace,
    String identity,
    String trainerImage,
    String serverImage,
    String prometheusUrl,
    int reconcileThreads,
    Duration shutdownGrace) {

  public static final String LEASE_NAME = "kamado-operator";

  public OperatorConfig {
    namespaces = Set.copyOf(namespaces);
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http port must be between 0 and 65535, got " + httpPort);
    }
    if (reconcileThreads < 1) {
      throw new IllegalArgumentException("reconcile threads must be at least 1, got " + reconcileThreads);
    }
    if (leaderElection && (leaderElectionNamespace == null || leaderElectionNamespace.isBlank())) {
      throw new IllegalArgumentException(
          "leader election needs a namespace for its Lease: set --leader-election-namespace "
              + "(KAMADO_LEADER_ELECTION_NAMESPACE) or POD_NAMESPACE");
    }
  }

  public boolean watchesAllNamespaces() {
    return namespaces.isEmpty();
  }
}
