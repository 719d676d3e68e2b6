package dev.kamado.operator;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar kamado-operator.jar}: runs the operator against the cluster of the kubeconfig or in-cluster. */
@Command(
    name = "kamado-operator",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    description = {
      "Reconciles kamado.dev FineTuneJob and ModelServer resources.",
      "Connects through $KUBECONFIG (or ~/.kube/config), or the in-cluster service account when run in a pod.",
      "Every option can also be set by the environment variable shown in brackets."
    })
public final class Main implements Callable<Integer> {

  @Option(
      names = "--kubeconfig",
      description = "Kubeconfig file to use instead of $KUBECONFIG, ~/.kube/config or the in-cluster account.")
  String kubeconfig;

  @Option(
      names = "--namespaces",
      split = ",",
      defaultValue = "${env:KAMADO_WATCH_NAMESPACES}",
      description = "Namespaces to watch, comma-separated; all when empty [KAMADO_WATCH_NAMESPACES].")
  String[] namespaces = new String[0];

  @Option(
      names = "--http-port",
      defaultValue = "${env:KAMADO_HTTP_PORT:-8080}",
      description = "Port of /healthz, /readyz and /metrics (default ${DEFAULT-VALUE}) [KAMADO_HTTP_PORT].")
  int httpPort;

  @Option(
      names = "--leader-election",
      negatable = true,
      fallbackValue = "true",
      defaultValue = "${env:KAMADO_LEADER_ELECTION:-false}",
      description = "Elect a leader among replicas through a Lease before reconciling [KAMADO_LEADER_ELECTION].")
  boolean leaderElection;

  @Option(
      names = "--leader-election-namespace",
      defaultValue = "${env:KAMADO_LEADER_ELECTION_NAMESPACE:-${env:POD_NAMESPACE}}",
      description = "Namespace of the leader-election Lease [KAMADO_LEADER_ELECTION_NAMESPACE, POD_NAMESPACE].")
  String leaderElectionNamespace;

  @Option(
      names = "--identity",
      defaultValue = "${env:POD_NAME}",
      description = "This replica's identity in the Lease; the host name when empty [POD_NAME].")
  String identity;

  @Option(
      names = "--trainer-image",
      defaultValue = "${env:KAMADO_TRAINER_IMAGE:-ghcr.io/kamado-dev/kamado-trainer:0.1.0}",
      description = "Default trainer image (default ${DEFAULT-VALUE}) [KAMADO_TRAINER_IMAGE].")
  String trainerImage;

  @Option(
      names = "--server-image",
      defaultValue = "${env:KAMADO_SERVER_IMAGE:-ghcr.io/kamado-dev/kamado-server:0.1.0}",
      description = "Default inference server image (default ${DEFAULT-VALUE}) [KAMADO_SERVER_IMAGE].")
  String serverImage;

  @Option(
      names = "--prometheus-url",
      defaultValue = "${env:KAMADO_PROMETHEUS_URL}",
      description = "Prometheus HTTP API the autoscaler reads; without it, pods' /metrics are scraped [KAMADO_PROMETHEUS_URL].")
  String prometheusUrl;

  @Option(
      names = "--reconcile-threads",
      defaultValue = "${env:KAMADO_RECONCILE_THREADS:-50}",
      description = "Concurrent reconciliations (default ${DEFAULT-VALUE}) [KAMADO_RECONCILE_THREADS].")
  int reconcileThreads;

  @Option(
      names = "--log-format",
      defaultValue = "${env:KAMADO_LOG_FORMAT:-text}",
      description = "Log format: ${COMPLETION-CANDIDATES} (json: one JSON object per line; default ${DEFAULT-VALUE}) [KAMADO_LOG_FORMAT].")
  LogFormat logFormat;

  @Option(
      names = "--log-level",
      defaultValue = "${env:KAMADO_LOG_LEVEL:-info}",
      description = "Log level: error, warn, info, debug or trace (default ${DEFAULT-VALUE}) [KAMADO_LOG_LEVEL].")
  String logLevel;

  public static void main(String[] args) {
    TlsDefaults.apply();
    System.exit(commandLine().execute(args));
  }

  /** Log layouts: human-readable lines, or one JSON object per line for log collectors. */
  enum LogFormat {
    text,
    json
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((e, cli, parseResult) -> {
          // A configuration mistake gets one line naming the setting, not a stack trace.
          if (e instanceof IllegalArgumentException) {
            cli.getErr().println("kamado-operator: " + e.getMessage());
            return 2;
          }
          throw e;
        });
  }

  @Override
  public Integer call() throws Exception {
    configureLogging(logFormat, logLevel);
    OperatorConfig config = toConfig();
    if (kubeconfig != null) {
      System.setProperty("kubeconfig", kubeconfig);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try (KamadoOperator operator = KamadoOperator.start(config)) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        operator.close();
        stopped.countDown();
      }, "kamado-shutdown"));
      stopped.await();
    }
    return 0;
  }

  OperatorConfig toConfig() {
    Set<String> watched = new LinkedHashSet<>();
    Arrays.stream(namespaces).map(String::trim).filter(s -> !s.isEmpty()).forEach(watched::add);
    return new OperatorConfig(
        watched,
        httpPort,
        leaderElection,
        blankToNull(leaderElectionNamespace),
        blankToNull(identity) != null ? identity : hostName(),
        trainerImage,
        serverImage,
        blankToNull(prometheusUrl),
        reconcileThreads,
        Duration.ofSeconds(20));
  }

  /** Chooses the Log4j configuration before the first logger exists. */
  static void configureLogging(LogFormat format, String level) {
    if (format == LogFormat.json) {
      System.setProperty("log4j2.configurationFile", "log4j2-json.xml");
    }
    System.setProperty("kamado.log.level", level == null ? "info" : level.trim());
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "kamado-operator-" + ProcessHandle.current().pid();
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"kamado-operator " + (v == null ? "dev" : v)};
    }
  }
}
