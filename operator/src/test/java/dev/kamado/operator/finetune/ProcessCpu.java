package dev.kamado.operator.finetune;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU seconds a process has used, whole and by thread, from {@code /proc} (Linux): which processes and which of a JVM's
 * threads take the cores in a benchmark. Threads are grouped by their name with the digits taken out ("pool-2-thread-7"
 * counts as "pool--thread-"); threads that have exited are counted as one group, {@value #EXITED}, which also
 * holds the rounding of the process total to clock ticks (10 ms).
 */
record ProcessCpu(double seconds, Map<String, Double> byThreadGroup) {
  static final String EXITED = "(exited threads)";
  private static final double TICKS_PER_SECOND = 100; // USER_HZ on every Linux this runs on

  /** The figures of {@code pid} now; zero seconds when it is gone or this is not Linux. */
  static ProcessCpu of(long pid) {
    Path proc = Path.of("/proc", String.valueOf(pid));
    double total = ticks(proc.resolve("stat"));
    Map<String, Double> groups = new TreeMap<>();
    double live = 0;
    try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat = read(task.resolve("stat"));
        if (stat.isEmpty()) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]", "");
        // schedstat's first field is the thread's time on a CPU in nanoseconds: exact, where stat's per-thread
        // ticks are sampled and rounded.
        String schedstat = read(task.resolve("schedstat"));
        double seconds = schedstat.isEmpty() ? ticks(stat) : Long.parseLong(schedstat.split(" ")[0]) / 1e9;
        groups.merge(name, seconds, Double::sum);
        live += seconds;
      }
    } catch (IOException e) {
      return new ProcessCpu(total, Map.of());
    }
    groups.put(EXITED, Math.max(0, total - live));
    return new ProcessCpu(total, groups);
  }

  /** The figures of the process whose pid a file holds (as cluster.sh records them); zero when unreadable. */
  static ProcessCpu ofPidFile(Path pidFile) {
    String pid = read(pidFile).strip();
    return pid.isEmpty() ? new ProcessCpu(0, Map.of()) : of(Long.parseLong(pid));
  }

  /** What was used between {@code before} and this reading. */
  ProcessCpu minus(ProcessCpu before) {
    Map<String, Double> diff = new TreeMap<>(byThreadGroup);
    before.byThreadGroup.forEach((k, v) -> diff.merge(k, -v, Double::sum));
    // Thread groups that ended between the readings moved to EXITED; keep only what grew.
    diff.values().removeIf(v -> v < 0.005);
    return new ProcessCpu(seconds - before.seconds, diff);
  }

  /** The largest thread groups as "name ms", milliseconds per {@code per}, largest first. */
  String largestGroups(int per, int limit) {
    return byThreadGroup.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .limit(limit)
        .map(e -> String.format("%s %.1f", e.getKey(), 1000 * e.getValue() / per))
        .collect(Collectors.joining(", "));
  }

  private static double ticks(Path stat) {
    String text = read(stat);
    return text.isEmpty() ? 0 : ticks(text);
  }

  private static double ticks(String stat) {
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "";
    }
  }
}
