package dev.kamado.operator.autoscale;

import java.util.List;
import java.util.Set;

/** Reads one ModelServer's generated tokens per second and waiting requests over its ready pods. */
public interface MetricsSource {
  /** Server metric: generated tokens, a counter. */
  String GENERATED_TOKENS = "kamado_generated_tokens_total";
  /** Server metric: requests waiting for a batch slot, a gauge. */
  String REQUESTS_WAITING = "kamado_requests_waiting";

  /** Never throws for unreachable or silent servers: that is a {@link MetricsReading.Missing}. */
  MetricsReading read(String namespace, String server, int port, List<ServerPod> readyPods);

  /** Forgets what is kept between readings of ModelServers other than these ({@code namespace/name}). */
  default void retain(Set<String> servers) {}
}
