package dev.kamado.operator.finetune;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.operator.Fixtures;
import dev.kamado.operator.OperatorProcess;
import dev.kamado.operator.model.KamadoLabels;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithKwokCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code make bench}: 500 FineTuneJobs created at once on the KWOK cluster, reconciled by the operator jar running
 * as its own process (so its memory is its own). Prints how long until every training Job exists, reconciles per
 * second, the creation-to-Job latency percentiles, and the operator's heap and RSS. Goal: all Jobs within 10 s,
 * RSS at most 350 MB. A benchmark, not a test: it prints figures and asserts nothing about time.
 */
@WithKwokCluster
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FineTuneJobScaleBench {
  private static final int JOBS = Integer.getInteger("kamado.bench.jobs", 500);
  private static final int WARM_UP = Integer.getInteger("kamado.bench.warmup", 300);
  private static final String RECONCILES = "kamado_operator_reconciliations_started_total";
  private static final String FINETUNEJOB = "controller=\"finetunejob\"";

  /**
   * The operator's own share: the FineTuneJobs are created suspended, so their Jobs start no pods and neither the
   * Job controller nor the scheduler competes for the two cores. Runs first, on a quiet cluster.
   */
  @Test
  @Order(1)
  void suspendedFineTuneJobsOperatorOnly(ControlPlane cluster) throws Exception {
    run(cluster, true);
  }

  /** The realistic case the goal is about: every Job starts a pod at once. */
  @Test
  @Order(2)
  void fiveHundredFineTuneJobsAtOnce(ControlPlane cluster) throws Exception {
    run(cluster, false);
  }

  private void run(ControlPlane cluster, boolean suspended) throws Exception {
    KubernetesClient admin = cluster.client();
    String namespace = cluster.createNamespace(suspended ? "scale-suspended" : "scale");
    Path logs = Files.createDirectories(Path.of("target", "bench"));
    Map<String, Long> created = new ConcurrentHashMap<>();
    Map<String, Long> jobSeen = new ConcurrentHashMap<>();
    CountDownLatch allJobs = new CountDownLatch(JOBS);
    // The operator's work for a FineTuneJob ends with its first status and its progress ConfigMap (it writes them after
    // the Job): CPU and writes are read once every FineTuneJob has both, so that they cover all of that work.
    Map<String, Boolean> withPhase = new ConcurrentHashMap<>();
    Map<String, Boolean> withProgress = new ConcurrentHashMap<>();
    CountDownLatch allPhases = new CountDownLatch(JOBS);
    CountDownLatch allProgress = new CountDownLatch(JOBS);

    // The operator runs with its defaults, as the chart installs it; -Dkamado.bench.threads=N overrides the
    // reconcile threads.
    List<String> args = new ArrayList<>(List.of("--namespaces", namespace));
    if (System.getProperty("kamado.bench.threads") != null) {
      args.addAll(List.of("--reconcile-threads", System.getProperty("kamado.bench.threads")));
    }
    warmUpClient(admin, cluster.createNamespace("scale-warm-up"), suspended);
    try (OperatorProcess operator = OperatorProcess.start(cluster.kubeconfig(), logs.resolve("operator.log"),
            args.toArray(String[]::new));
        var watch = admin.batch().v1().jobs().inNamespace(namespace).watch(new Watcher<Job>() {
          @Override
          public void eventReceived(Action action, Job job) {
            if (action == Action.ADDED && jobSeen.putIfAbsent(job.getMetadata().getName(), System.nanoTime()) == null) {
              allJobs.countDown();
            }
          }

          @Override
          public void onClose(WatcherException cause) {}
        });
        var phases = admin.resources(FineTuneJob.class).inNamespace(namespace).watch(new Watcher<FineTuneJob>() {
          @Override
          public void eventReceived(Action action, FineTuneJob ftj) {
            if (ftj.getStatus() != null && ftj.getStatus().getPhase() != null
                && withPhase.putIfAbsent(ftj.getMetadata().getName(), true) == null) {
              allPhases.countDown();
            }
          }

          @Override
          public void onClose(WatcherException cause) {}
        });
        var progress = admin.configMaps().inNamespace(namespace)
            .withLabel(KamadoLabels.COMPONENT, "progress").watch(new Watcher<ConfigMap>() {
              @Override
              public void eventReceived(Action action, ConfigMap map) {
                if (action == Action.ADDED && withProgress.putIfAbsent(map.getMetadata().getName(), true) == null) {
                  allProgress.countDown();
                }
              }

              @Override
              public void onClose(WatcherException cause) {}
            })) {
      operator.awaitReady();
      ApiServerLoad loadBefore = ApiServerLoad.read(admin);
      double operatorCpuBefore = operator.metricSum("process_cpu_seconds_total", "");
      double startedBefore = operator.metricSum(RECONCILES, FINETUNEJOB);
      long rssIdle = operator.rssBytes();
      Map<String, ProcessCpu> cpuBefore = processCpu(cluster, operator);

      long t0 = System.nanoTime();
      createAll(admin, namespace, JOBS, suspended, created);
      long createdAll = System.nanoTime();
      boolean complete = allJobs.await(5, TimeUnit.MINUTES);
      long tAll = System.nanoTime();
      boolean settled = allPhases.await(2, TimeUnit.MINUTES) & allProgress.await(2, TimeUnit.MINUTES);
      long tSettled = System.nanoTime();
      double reconciles = operator.metricSum(RECONCILES, FINETUNEJOB)
          - startedBefore;
      double operatorCpu = operator.metricSum("process_cpu_seconds_total", "") - operatorCpuBefore;
      ApiServerLoad load = ApiServerLoad.read(admin).minus(loadBefore);
      Map<String, ProcessCpu> cpuAfter = processCpu(cluster, operator);

      List<Long> latencies = new ArrayList<>();
      created.forEach((name, at) -> {
        Long seen = jobSeen.get(name);
        if (seen != null) {
          latencies.add(Math.max(0, seen - at));
        }
      });
      long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      double seconds = (tAll - t0) / 1e9;
      System.out.println();
      System.out.println("== FineTuneJob scale benchmark (" + JOBS + " FineTuneJobs, KWOK cluster, operator jar, "
          + (suspended ? "created suspended: operator only, no pods" : "pods started at once") + ") ==");
      System.out.printf("all FineTuneJobs created by the client in   %8.2f s%n", (createdAll - t0) / 1e9);
      System.out.printf("every training Job exists after             %8.2f s   (goal <= 10 s)%s%n", seconds,
          complete ? "" : "  INCOMPLETE: " + jobSeen.size() + " of " + JOBS);
      System.out.printf("first status and progress ConfigMap of all  %8.2f s%s%n", (tSettled - t0) / 1e9,
          settled ? "" : "  INCOMPLETE: " + withPhase.size() + " statuses, " + withProgress.size() + " ConfigMaps");
      System.out.printf("reconciles                                  %8.0f   (%.1f per second, %.2f per FineTuneJob)%n",
          reconciles, reconciles / ((tSettled - t0) / 1e9), reconciles / JOBS);
      System.out.printf("creation -> Job latency p50 / p99 / max     %8.0f / %.0f / %.0f ms%n",
          percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6, percentile(sorted, 1.0) / 1e6);
      // CPU seconds and request counts do not depend on how busy the machine is, unlike the wall-clock figures.
      System.out.printf("operator CPU / kube-apiserver CPU           %8.1f / %.1f s   (%.1f / %.1f ms per FineTuneJob)%n",
          operatorCpu, load.cpuSeconds(), 1000 * operatorCpu / JOBS, 1000 * load.cpuSeconds() / JOBS);
      System.out.printf("CPU ms per FineTuneJob by process           %s%n", cpuByProcess(cpuBefore, cpuAfter));
      System.out.printf("operator CPU ms per FineTuneJob by thread   %s%n",
          cpuAfter.get("operator").minus(cpuBefore.get("operator")).largestGroups(JOBS, 8));
      System.out.printf("bench client CPU ms per FineTuneJob by thread %s%n",
          cpuAfter.get("bench client").minus(cpuBefore.get("bench client")).largestGroups(JOBS, 6));
      System.out.printf("API writes per FineTuneJob, all clients     %8.1f   (%s)%n", load.writes() / JOBS,
          load.writesByResource(JOBS));
      System.out.printf("operator heap used                          %8.1f MB%n",
          operator.metricSum("jvm_memory_used_bytes", "area=\"heap\"") / 1e6);
      System.out.printf("operator RSS idle / now / peak              %8.1f / %.1f / %.1f MB   (goal peak <= 350 MB)%n",
          rssIdle / 1e6, operator.rssBytes() / 1e6, operator.peakRssBytes() / 1e6);
      System.out.println();
    }
  }

  /** Creates {@code count} FineTuneJobs from 16 threads, noting when each create returned. */
  private static void createAll(KubernetesClient admin, String namespace, int count, boolean suspended,
      Map<String, Long> created) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    for (int i = 0; i < count; i++) {
      String name = "bench-" + i;
      pool.execute(() -> {
        FineTuneJob job = job(name);
        job.getSpec().setSuspend(suspended);
        admin.resources(FineTuneJob.class).inNamespace(namespace).resource(job).create();
        created.put(name, System.nanoTime());
      });
    }
    pool.shutdown();
    pool.awaitTermination(5, TimeUnit.MINUTES);
  }

  /**
   * The load generator (this JVM) compiles its create path before the operator starts, in a namespace the operator
   * does not watch: its JIT compiler otherwise took 3.5-7 ms of CPU per FineTuneJob from the two cores that the
   * operator and the control plane share. The operator itself starts cold.
   */
  private static void warmUpClient(KubernetesClient admin, String namespace, boolean suspended)
      throws InterruptedException {
    createAll(admin, namespace, WARM_UP, suspended, new ConcurrentHashMap<>());
  }

  /** CPU used so far by each process of the cluster, the operator and this JVM (which creates the FineTuneJobs). */
  private static Map<String, ProcessCpu> processCpu(ControlPlane cluster, OperatorProcess operator) {
    Map<String, ProcessCpu> cpu = new LinkedHashMap<>();
    cpu.put("operator", ProcessCpu.of(operator.pid()));
    for (String component : List.of("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok")) {
      cpu.put(component, ProcessCpu.ofPidFile(cluster.dir().resolve("pids").resolve(component + ".pid")));
    }
    cpu.put("bench client", ProcessCpu.of(ProcessHandle.current().pid()));
    return cpu;
  }

  private static String cpuByProcess(Map<String, ProcessCpu> before, Map<String, ProcessCpu> after) {
    double total = 0;
    StringBuilder parts = new StringBuilder();
    for (var e : after.entrySet()) {
      double ms = 1000 * (e.getValue().seconds() - before.get(e.getKey()).seconds()) / JOBS;
      total += ms;
      parts.append(parts.length() == 0 ? "" : ", ").append(String.format("%s %.1f", e.getKey(), ms));
    }
    return String.format("%.1f in all: %s", total, parts);
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }

  private static FineTuneJob job(String name) {
    return Fixtures.fineTuneJob(name, "pvc://models/" + name);
  }
}
