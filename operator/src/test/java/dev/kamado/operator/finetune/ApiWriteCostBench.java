package dev.kamado.operator.finetune;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.operator.Fixtures;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.operator.status.Conditions;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithKwokCluster;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * What each kind of write a FineTuneJob causes costs the control plane in CPU, the operator not running: kube-apiserver,
 * etcd and kube-controller-manager (whose controllers react to what is created, e.g. the Job controller's status
 * write of a suspended Job) per object created, kind by kind, on the KWOK cluster. The floor of the scale benchmark
 * follows: the objects a FineTuneJob needs, times their cost, times 500, over two cores. A benchmark: it prints.
 */
@WithKwokCluster
class ApiWriteCostBench {
  private static final int OBJECTS = Integer.getInteger("kamado.bench.jobs", 300);
  private static final OperatorConfig CONFIG = new OperatorConfig(Set.of(), 0, false, null, "bench",
      "registry.local/kamado-trainer:1", "registry.local/kamado-server:1", null, 1, Duration.ofSeconds(1));
  private static final ResolvedBaseModel BASE = new ResolvedBaseModel("pvc://models/base/tiny", null, null);
  private static final List<String> PROCESSES = List.of("kube-apiserver", "etcd", "kube-controller-manager");

  @Test
  void controlPlaneCpuPerCreatedObject(ControlPlane cluster) throws Exception {
    KubernetesClient admin = cluster.client();
    String namespace = cluster.createNamespace("write-cost");
    // The FineTuneJobs first: every other object is made for one of them and owned by it.
    List<FineTuneJob> owners = new ArrayList<>();
    Map<String, Function<FineTuneJob, HasMetadata>> kinds = new LinkedHashMap<>();
    kinds.put("Job (suspended)", f -> TrainingJobResources.job(f, BASE, CONFIG, true));
    kinds.put("ServiceAccount", TrainingJobResources::serviceAccount);
    kinds.put("Role", TrainingJobResources::progressRole);
    kinds.put("RoleBinding", TrainingJobResources::progressRoleBinding);
    kinds.put("ConfigMap", TrainingJobResources::progressConfigMap);
    kinds.put("Event", ApiWriteCostBench::event);

    // A warm-up round in another namespace, so that neither this JVM's JIT nor first-use costs count.
    String warmUp = cluster.createNamespace("write-cost-warm-up");
    List<FineTuneJob> warm = createFineTuneJobs(admin, warmUp, 100, new ArrayList<>());
    kinds.values().forEach(kind -> create(admin, warm, kind));

    idle = idleRate(cluster);
    Map<String, double[]> costs = new LinkedHashMap<>();
    costs.put("FineTuneJob", measure(cluster, () -> createFineTuneJobs(admin, namespace, OBJECTS, owners)));
    List<FineTuneJob> created = owners;
    kinds.forEach((name, kind) -> costs.put(name, measure(cluster, () -> create(admin, created, kind))));
    costs.put("status (SSA)", measure(cluster, () -> parallel(created.size(), i -> {
      FineTuneJob desired = new FineTuneJob();
      desired.getMetadata().setName(created.get(i).getMetadata().getName());
      desired.getMetadata().setNamespace(namespace);
      desired.setStatus(firstStatus(created.get(i).getMetadata().getName()));
      admin.resource(desired).subresource("status").patch(new PatchContext.Builder()
          .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager("finetunejob").withForce(true).build());
    })));

    System.out.println();
    System.out.println("== Control-plane CPU per created object (" + OBJECTS + " of each, KWOK cluster, no operator;"
        + " idle CPU subtracted) ==");
    System.out.printf("%-18s %14s %8s %18s %8s%n", "object", "kube-apiserver", "etcd", "controller-manager", "all");
    costs.forEach((name, ms) -> System.out.printf("%-18s %11.2f ms %5.2f ms %15.2f ms %5.2f ms%n", name, ms[0], ms[1],
        ms[2], ms[0] + ms[1] + ms[2]));
    System.out.println();
  }

  private double[] idle;

  /** CPU seconds per second of each process while nothing is written. */
  private static double[] idleRate(ControlPlane cluster) throws InterruptedException {
    Map<String, ProcessCpu> before = cpu(cluster);
    long t0 = System.nanoTime();
    TimeUnit.SECONDS.sleep(5);
    Map<String, ProcessCpu> after = cpu(cluster);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] rate = new double[PROCESSES.size()];
    for (int i = 0; i < rate.length; i++) {
      String p = PROCESSES.get(i);
      rate[i] = (after.get(p).seconds() - before.get(p).seconds()) / seconds;
    }
    return rate;
  }

  /**
   * Control-plane CPU milliseconds per object while {@code writes} runs and the controllers settle after it, less what
   * the processes use when idle over the same time.
   */
  private double[] measure(ControlPlane cluster, Runnable writes) {
    Map<String, ProcessCpu> before = cpu(cluster);
    long t0 = System.nanoTime();
    writes.run();
    try {
      TimeUnit.SECONDS.sleep(2); // the controllers' reactions (status writes, garbage-collector graph) are part of it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, ProcessCpu> after = cpu(cluster);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] ms = new double[PROCESSES.size()];
    for (int i = 0; i < ms.length; i++) {
      String p = PROCESSES.get(i);
      ms[i] = 1000 * (after.get(p).seconds() - before.get(p).seconds() - idle[i] * seconds) / OBJECTS;
    }
    return ms;
  }

  private static Map<String, ProcessCpu> cpu(ControlPlane cluster) {
    Map<String, ProcessCpu> cpu = new LinkedHashMap<>();
    PROCESSES.forEach(p -> cpu.put(p, ProcessCpu.ofPidFile(cluster.dir().resolve("pids").resolve(p + ".pid"))));
    return cpu;
  }

  private static List<FineTuneJob> createFineTuneJobs(KubernetesClient admin, String namespace, int count,
      List<FineTuneJob> into) {
    List<FineTuneJob> made = Collections.synchronizedList(into);
    parallel(count, i -> {
      FineTuneJob job = Fixtures.fineTuneJob("cost-" + i, "pvc://models/cost-" + i);
      job.getSpec().setSuspend(true);
      made.add(admin.resources(FineTuneJob.class).inNamespace(namespace).resource(job).create());
    });
    return into;
  }

  private static void create(KubernetesClient admin, List<FineTuneJob> owners, Function<FineTuneJob, HasMetadata> kind) {
    parallel(owners.size(), i -> admin.resource(kind.apply(owners.get(i))).create());
  }

  /** A first status as the operator writes it for a suspended FineTuneJob. */
  private static FineTuneJobStatus firstStatus(String name) {
    FineTuneJobStatus status = new FineTuneJobStatus();
    status.setPhase(FineTuneJobPhase.Suspended);
    status.setObservedGeneration(1L);
    status.setJobName(name);
    Instant now = Instant.now();
    Conditions.set(status.getConditions(), TrainingStatus.BASE_MODEL_RESOLVED, Conditions.TRUE, "Resolved",
        "base model pvc://models/base/tiny", 1L, now);
    Conditions.set(status.getConditions(), TrainingStatus.RUNNING, Conditions.FALSE, "Suspended",
        "no training pod runs", 1L, now);
    Conditions.set(status.getConditions(), TrainingStatus.SUSPENDED, Conditions.TRUE, "SuspendedByUser",
        "spec.suspend is true: no training pod runs", 1L, now);
    return status;
  }

  private static HasMetadata event(FineTuneJob about) {
    return new EventBuilder()
        .withNewMetadata().withGenerateName(about.getMetadata().getName() + ".")
        .withNamespace(about.getMetadata().getNamespace()).endMetadata()
        .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(about.getApiVersion())
            .withKind(about.getKind()).withName(about.getMetadata().getName())
            .withNamespace(about.getMetadata().getNamespace()).withUid(about.getMetadata().getUid()).build())
        .withType("Normal").withReason("JobCreated").withMessage("created Job " + about.getMetadata().getName())
        .withCount(1).withNewSource().withComponent("kamado-operator").endSource()
        .build();
  }

  private static void parallel(int count, IntConsumer task) {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int i = 0; i < count; i++) {
      int index = i;
      pool.execute(() -> task.accept(index));
    }
    pool.shutdown();
    try {
      if (!pool.awaitTermination(5, TimeUnit.MINUTES)) {
        throw new IllegalStateException("writes did not finish within 5 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
