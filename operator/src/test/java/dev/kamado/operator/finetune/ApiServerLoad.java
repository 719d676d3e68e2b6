package dev.kamado.operator.finetune;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the kube-apiserver has done so far, from its own {@code /metrics}: CPU seconds, and write requests (POST, PUT,
 * PATCH, DELETE, APPLY) by resource. Differences of two readings are figures that do not depend on how busy the
 * machine is.
 */
record ApiServerLoad(double cpuSeconds, Map<String, Double> writesPerResource) {
  private static final String REQUESTS = "apiserver_request_total{";

  static ApiServerLoad read(KubernetesClient admin) {
    double cpu = 0;
    Map<String, Double> writes = new TreeMap<>();
    for (String line : admin.raw("/metrics").split("\n")) {
      if (line.startsWith("process_cpu_seconds_total ")) {
        cpu = Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      } else if (line.startsWith(REQUESTS)) {
        String verb = label(line, "verb");
        if (verb.equals("POST") || verb.equals("PUT") || verb.equals("PATCH") || verb.equals("DELETE")
            || verb.equals("APPLY")) {
          String resource = label(line, "resource") + (label(line, "subresource").isEmpty() ? ""
              : "/" + label(line, "subresource"));
          double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
          writes.merge(resource, value, Double::sum);
        }
      }
    }
    return new ApiServerLoad(cpu, writes);
  }

  ApiServerLoad minus(ApiServerLoad before) {
    Map<String, Double> diff = new TreeMap<>(writesPerResource);
    before.writesPerResource.forEach((k, v) -> diff.merge(k, -v, Double::sum));
    diff.values().removeIf(v -> v < 0.5);
    return new ApiServerLoad(cpuSeconds - before.cpuSeconds, diff);
  }

  double writes() {
    return writesPerResource.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  String writesByResource(int per) {
    return writesPerResource.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .map(e -> String.format("%s %.1f", e.getKey(), e.getValue() / per))
        .collect(Collectors.joining(", "));
  }

  private static String label(String line, String name) {
    int at = line.indexOf(name + "=\"");
    if (at < 0) {
      return "";
    }
    int start = at + name.length() + 2;
    return line.substring(start, line.indexOf('"', start));
  }
}
