package dev.kamado.operator.metrics;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;

/** Reports the Java Operator SDK's reconciler lifecycle as Prometheus metrics, labelled by controller. */
public final class ReconcilerMetrics implements Metrics {
  private final Counter started;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter retries;
  private final Counter events;
  private final Histogram duration;
  private final Gauge leader;

  public ReconcilerMetrics(PrometheusRegistry registry) {
    started = Counter.builder()
        .name("kamado_operator_reconciliations_started_total")
        .help("Reconciliations started")
        .labelNames("controller")
        .register(registry);
    succeeded = Counter.builder()
        .name("kamado_operator_reconciliations_succeeded_total")
        .help("Reconciliations that ended without an error")
        .labelNames("controller")
        .register(registry);
    failed = Counter.builder()
        .name("kamado_operator_reconciliations_failed_total")
        .help("Reconciliations that ended with an error, by exception class")
        .labelNames("controller", "exception")
        .register(registry);
    retries = Counter.builder()
        .name("kamado_operator_reconciliation_retries_total")
        .help("Reconciliations that were retries of a failed one")
        .labelNames("controller")
        .register(registry);
    events = Counter.builder()
        .name("kamado_operator_events_received_total")
        .help("Events that triggered the reconciler (changes of the resource or of resources it owns)")
        .labelNames("controller")
        .register(registry);
    duration = Histogram.builder()
        .name("kamado_operator_reconciliation_duration_seconds")
        .help("Time one reconciliation takes")
        .labelNames("controller")
        .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
        .register(registry);
    leader = Gauge.builder()
        .name("kamado_operator_leader")
        .help("1 when this replica holds the leader-election Lease (or runs without leader election)")
        .register(registry);
  }

  public void setLeader(boolean isLeader) {
    leader.set(isLeader ? 1 : 0);
  }

  @Override
  public void controllerRegistered(Controller<? extends HasMetadata> controller) {
    String name = controller.getConfiguration().getName();
    started.labelValues(name);
    succeeded.labelValues(name);
    retries.labelValues(name);
  }

  @Override
  public void receivedEvent(Event event, Map<String, Object> metadata) {
    events.labelValues(controller(metadata)).inc();
  }

  @Override
  public void reconcileCustomResource(HasMetadata resource, RetryInfo retryInfo, Map<String, Object> metadata) {
    String name = controller(metadata);
    started.labelValues(name).inc();
    if (retryInfo != null && retryInfo.getAttemptCount() > 0) {
      retries.labelValues(name).inc();
    }
  }

  @Override
  public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
    succeeded.labelValues(controller(metadata)).inc();
  }

  @Override
  public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
    Throwable cause = exception.getCause() != null ? exception.getCause() : exception;
    failed.labelValues(controller(metadata), cause.getClass().getSimpleName()).inc();
  }

  @Override
  public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
    long start = System.nanoTime();
    try {
      return execution.execute();
    } finally {
      duration.labelValues(execution.controllerName()).observe((System.nanoTime() - start) / 1e9);
    }
  }

  private static String controller(Map<String, Object> metadata) {
    Object name = metadata == null ? null : metadata.get(Constants.CONTROLLER_NAME);
    return name == null ? "unknown" : name.toString();
  }
}
