package dev.kamado.trainer;

import dev.kamado.model.Engines;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Threads that compute micro-batches side by side with the training thread. libtorch runs each operation on the thread
 * that calls it (with the engine's intra-op thread count, one on small machines), so a single training thread keeps
 * one core busy; with W workers, W micro-batches of the same optimizer step are computed at once, each on its own
 * thread with its own autograd graph over the shared parameters.
 *
 * <p>The result does not depend on W: the training thread accumulates the first micro-batch of each round into the
 * parameters' gradients as a lone thread would, the other threads return their gradients, and these are added in
 * micro-batch order, which is the order a lone thread adds them in ({@code ((g1 + g2) + g3) + ...}, bit for bit).
 * Only a forward pass that draws random numbers (LoRA dropout, from libtorch's one global generator) cannot be shared
 * out reproducibly; {@link #resolve} then keeps one thread.
 */
final class GradientWorkers implements AutoCloseable {
  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private final int size;
  private final ExecutorService pool;
  private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** {@code size} threads in all, the calling thread included. */
  GradientWorkers(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("size must be at least 1, got " + size);
    }
    this.size = size;
    if (size == 1) {
      pool = null;
    } else {
      AtomicInteger n = new AtomicInteger();
      pool = Executors.newFixedThreadPool(size - 1, r -> {
        Thread t = new Thread(() -> {
          Engines.bindCurrentThread();
          r.run();
        }, "kamado-train-worker-" + n.incrementAndGet());
        t.setDaemon(true);
        threads.add(t);
        return t;
      });
    }
  }

  /**
   * The number of threads a run uses.
   *
   * @param requested the run's setting: a thread count, or 0 for automatic
   * @param microBatchesPerStep gradient accumulation steps: more threads than this have nothing to do
   * @param randomForward whether the forward pass draws random numbers (then one thread, see the class comment)
   * @param cores processors available to this process
   * @param torchThreads libtorch intra-op threads per calling thread
   */
  static int resolve(int requested, int microBatchesPerStep, boolean randomForward, int cores, int torchThreads) {
    if (randomForward) {
      return 1;
    }
    int wanted = requested > 0 ? requested : Math.max(1, cores / Math.max(1, torchThreads));
    return Math.max(1, Math.min(wanted, microBatchesPerStep));
  }

  /** Threads in all, the calling thread included. */
  int size() {
    return size;
  }

  /**
   * Runs {@code task(0)} on the calling thread and {@code task(1..count-1)} on the other threads at the same time;
   * returns the results in index order once all have finished. When a task fails, the others still run to the end,
   * then the first failure (by index) is thrown.
   *
   * @param count at most {@link #size()}
   */
  <T> List<T> map(int count, IntFunction<T> task) {
    if (count < 1 || count > size) {
      throw new IllegalArgumentException("count must be in [1, " + size + "], got " + count);
    }
    List<Future<T>> others = new ArrayList<>(count - 1);
    for (int i = 1; i < count; i++) {
      int index = i;
      others.add(pool.submit(() -> task.apply(index)));
    }
    List<T> results = new ArrayList<>(count);
    RuntimeException failure = null;
    try {
      results.add(task.apply(0));
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<T> f : others) {
      try {
        results.add(f.get());
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof RuntimeException r ? r
              : new IllegalStateException("a training worker failed: " + e.getCause(), e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = new IllegalStateException("interrupted while waiting for the training workers", e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    return results;
  }

  /** CPU time used so far by the worker threads (not the calling thread), in nanoseconds. */
  long cpuNanos() {
    long sum = 0;
    for (Thread t : threads) {
      long n = CPU.getThreadCpuTime(t.getId());
      sum += Math.max(0, n);
    }
    return sum;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }
}
