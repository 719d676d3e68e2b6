package dev.kamado.server.bench;

import dev.kamado.server.it.TinyModel;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Where the server's CPU goes under load (run with {@code -Pbench}; prints figures, asserts nothing about speed): the
 * server jar on the model in {@code -Dkamado.bench.model} (else the throughput bench's random 58.5M model) answers
 * streaming completions at one concurrency level ({@code -Dkamado.bench.threads.concurrency}, 16), and after a warm-up
 * phase the bench prints the tokens/s, the CPU time per generated token of each of the server's threads (from
 * {@code /proc/PID/task}, threads of one name summed: the engine, the decode threads, the event loops, the JIT
 * compilers, GC), of the load generator, and how busy the machine's cores were. Linux only.
 */
class ServerThreadsBench {

  final BenchReport report = new BenchReport();

  void print(String format, Object... args) {
    report.print(format, args);
  }

  @Test
  void cpuPerThread() throws Exception {
    int concurrency = Integer.getInteger("kamado.bench.threads.concurrency", 16);
    double warm = Double.parseDouble(System.getProperty("kamado.bench.threads.warmup.seconds", "8"));
    double seconds = Double.parseDouble(System.getProperty("kamado.bench.threads.seconds", "10"));
    Path work = Files.createTempDirectory("kamado-threads-bench");
    try {
      String given = System.getProperty("kamado.bench.model");
      Path model = given != null && !given.isBlank() ? Path.of(given)
          : TinyModel.write(work.resolve("random-50m"), 32000, 512, 8, 8, 1408, 2048, 1);
      Process server = ServerThroughputBench.startServer(model, work);
      try {
        int port = ServerThroughputBench.awaitPort(server, work);
        ServerThroughputBench.awaitReady(port);
        IntFunction<String> body = i -> ServerThroughputBench.completionBody(i, ServerThroughputBench.LOAD_TOKENS);
        try (LoadGenerator load = new LoadGenerator(URI.create("http://127.0.0.1:" + port + "/v1/completions"))) {
          load.run(concurrency, concurrency * 2, warm, body);
          long[] machineBefore = machineTicks();
          Map<String, Long> before = threadTicks(server.pid());
          long client = ServerThroughputBench.clientCpuNanos();
          LoadGenerator.Result r = load.run(concurrency, concurrency * 2, seconds, body);
          Map<String, Long> after = threadTicks(server.pid());
          long[] machineAfter = machineTicks();
          int tokens = r.samples().stream().mapToInt(LoadGenerator.Sample::completionTokens).sum();
          print("== Kamado server CPU per thread: %s, concurrency %d, %d requests x %d tokens in %.1f s after %.0f s"
              + " of warm-up", model.getFileName(), concurrency, r.samples().size(), ServerThroughputBench.LOAD_TOKENS,
              r.wallSeconds(), warm);
          print("aggregate %.1f tokens/s; machine busy %.1f%% of %d cores", r.tokensPerSecond(),
              100.0 * (1 - (double) (machineAfter[1] - machineBefore[1]) / (machineAfter[0] - machineBefore[0])),
              Runtime.getRuntime().availableProcessors());
          double total = 0;
          for (Map.Entry<String, Long> e : after.entrySet()) {
            long ticks = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (ticks > 0) {
              double ms = ticks * 1000.0 / TICKS_PER_SECOND / tokens;
              total += ms;
              print("  server thread %-24s %.4f ms per token", e.getKey(), ms);
            }
          }
          print("  server, all threads            %.4f ms per token", total);
          print("  load generator                 %.4f ms per token",
              ServerThroughputBench.clientCpuMillisPerToken(client, r));
        }
      } finally {
        server.destroy();
        server.waitFor();
      }
    } finally {
      report.write("server-threads.txt");
      TinyModel.delete(work);
    }
  }

  /** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
  static final int TICKS_PER_SECOND = 100;

  /** CPU ticks (user and system) per thread name of process {@code pid}, trailing digits dropped so a pool sums up. */
  static Map<String, Long> threadTicks(long pid) throws Exception {
    Map<String, Long> ticks = new TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (java.io.IOException gone) { // the thread ended meanwhile
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+$", "#");
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks.merge(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
      }
    }
    return ticks;
  }

  /** The machine's total and idle (with iowait) CPU ticks from /proc/stat. */
  static long[] machineTicks() throws Exception {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
  }
}
