package dev.kamado.operator.finetune;

import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.FineTuneJobPhase;
import dev.kamado.api.v1alpha1.FineTuneJobStatus;
import dev.kamado.operator.Fixtures;
import dev.kamado.operator.status.Conditions;
import dev.kamado.testing.ControlPlane;
import dev.kamado.testing.WithKwokCluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * What one FineTuneJob status write costs the kube-apiserver in CPU: a server-side apply (as the Java Operator SDK
 * patches status by default) against a JSON merge patch of the changed fields (what the operator sends), alternated
 * over the same resources in the same run, so the ratio holds however busy the machine is. A benchmark: it prints.
 */
@WithKwokCluster
class StatusWriteCostBench {
  private static final int RESOURCES = Integer.getInteger("kamado.bench.jobs", 300);
  private static final int ROUNDS = 4;

  @Test
  void serverSideApplyAgainstMergePatch(ControlPlane cluster) throws Exception {
    KubernetesClient admin = cluster.client();
    String namespace = cluster.createNamespace("status-cost");
    List<FineTuneJob> jobs = new ArrayList<>();
    parallel(RESOURCES, i -> {
      FineTuneJob job = Fixtures.fineTuneJob("cost-" + i, "pvc://models/cost-" + i);
      job.getSpec().setSuspend(true);
      admin.resources(FineTuneJob.class).inNamespace(namespace).resource(job).create();
    });
    for (int i = 0; i < RESOURCES; i++) {
      jobs.add(admin.resources(FineTuneJob.class).inNamespace(namespace).withName("cost-" + i).get());
    }
    double ssa = 0;
    double merge = 0;
    for (int round = 0; round < ROUNDS; round++) {
      int r = round;
      Runnable apply = () -> parallel(RESOURCES, i -> {
        FineTuneJob desired = new FineTuneJob();
        desired.setMetadata(new ObjectMetaBuilder().withName("cost-" + i).withNamespace(namespace).build());
        desired.setStatus(status(2 * r, i));
        admin.resource(desired).subresource("status").patch(new PatchContext.Builder()
            .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager("finetunejob").withForce(true).build());
      });
      Runnable mergePatch = () -> parallel(RESOURCES, i -> {
        FineTuneJobStatus status = status(2 * r + 1, i);
        String patch = Serialization.asJson(Map.of("status", Map.of("phase", status.getPhase(),
            "restarts", status.getRestarts(), "conditions", status.getConditions())));
        admin.resources(FineTuneJob.class).inNamespace(namespace).withName("cost-" + i).subresource("status")
            .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
      });
      // Alternate which goes first, so that neither profits from the other's warm-up.
      boolean applyFirst = round % 2 == 0;
      double t0 = ApiServerLoad.read(admin).cpuSeconds();
      (applyFirst ? apply : mergePatch).run();
      double t1 = ApiServerLoad.read(admin).cpuSeconds();
      (applyFirst ? mergePatch : apply).run();
      double t2 = ApiServerLoad.read(admin).cpuSeconds();
      ssa += applyFirst ? t1 - t0 : t2 - t1;
      merge += applyFirst ? t2 - t1 : t1 - t0;
    }
    int writes = ROUNDS * RESOURCES;
    System.out.println();
    System.out.println("== FineTuneJob status write cost (" + writes + " writes of each kind, KWOK cluster) ==");
    System.out.printf("kube-apiserver CPU per status write: server-side apply %.2f ms, JSON merge patch %.2f ms"
        + " (merge patch / apply = %.2f)%n", 1000 * ssa / writes, 1000 * merge / writes, merge / ssa);
    System.out.println();
  }

  private static FineTuneJobStatus status(int step, int i) {
    FineTuneJobStatus status = new FineTuneJobStatus();
    status.setPhase(step % 2 == 0 ? FineTuneJobPhase.Suspended : FineTuneJobPhase.Pending);
    status.setObservedGeneration(1L);
    status.setJobName("cost-" + i);
    status.setRestarts(step);
    Instant now = Instant.now();
    Conditions.set(status.getConditions(), "Suspended", step % 2 == 0 ? Conditions.TRUE : Conditions.FALSE,
        "Step" + step, "step " + step + " of the status write benchmark", 1L, now);
    Conditions.set(status.getConditions(), "BaseModelResolved", Conditions.TRUE, "Resolved",
        "base model pvc://models/base", 1L, now);
    return status;
  }

  private static void parallel(int count, Consumer<Integer> task) {
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
