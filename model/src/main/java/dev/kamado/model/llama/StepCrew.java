package dev.kamado.model.llama;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The decode threads of a {@link JavaDecoder}: runs parts {@code 1..} of a step on its own daemon threads while the
 * caller runs part 0, and returns when every part has ended.
 *
 * <p>A step lasts a fraction of a millisecond and the next one follows within tens of microseconds, so a thread that
 * ends its part, or waits for the next step, first spins for up to {@link #SPIN_NANOS} before it parks: waking a parked
 * thread costs a system call and, on a busy machine, a trip through the scheduler, each of which can be as long as the
 * wait itself. A thread pool's queue and futures cost the same at every step, and more allocation.
 */
final class StepCrew implements AutoCloseable {

  /** How long a waiting thread spins before it parks. */
  static final long SPIN_NANOS = Long.getLong("kamado.decode.spin.nanos", 50_000L);

  private final Thread[] threads;
  private final Throwable[] failures;
  private final AtomicInteger remaining = new AtomicInteger();
  /** The current step: a new object for every step, so a helper runs each step's part at most once. */
  private volatile Step step;
  private volatile Thread caller;
  private volatile boolean closed;

  /** Starts {@code helpers} daemon threads named {@code name-1..}. */
  StepCrew(int helpers, String name) {
    threads = new Thread[helpers];
    failures = new Throwable[helpers + 1];
    for (int i = 0; i < helpers; i++) {
      int part = i + 1;
      Thread t = new Thread(() -> serve(part), name + "-" + part);
      t.setDaemon(true);
      threads[i] = t;
    }
    for (Thread t : threads) {
      t.start();
    }
  }

  /** Parts a step can have: the helpers and the caller. */
  int capacity() {
    return threads.length + 1;
  }

  /**
   * Runs {@code body} for parts {@code 0..parts-1} (at most {@link #capacity()}): part 0 on the caller's thread, the
   * others on the helpers; returns when every part has ended, rethrowing the first failure. One caller at a time.
   */
  void run(int parts, IntConsumer body) {
    if (parts <= 1) {
      body.accept(0);
      return;
    }
    if (parts > capacity()) {
      throw new IllegalArgumentException(parts + " parts for " + capacity() + " threads");
    }
    java.util.Arrays.fill(failures, null);
    caller = Thread.currentThread();
    remaining.set(parts - 1);
    step = new Step(body, parts);
    for (int p = 1; p < parts; p++) {
      LockSupport.unpark(threads[p - 1]);
    }
    try {
      body.accept(0);
    } catch (RuntimeException | Error e) {
      failures[0] = e;
    }
    long start = System.nanoTime();
    while (remaining.get() > 0) { // every part ends before the step returns or throws
      if (System.nanoTime() - start < SPIN_NANOS) {
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
      }
    }
    step = null;
    for (Throwable failure : failures) {
      if (failure instanceof RuntimeException r) {
        throw r;
      }
      if (failure instanceof Error err) {
        throw err;
      }
    }
  }

  private record Step(IntConsumer body, int parts) {}

  private void serve(int part) {
    Step done = null;
    while (true) {
      long start = System.nanoTime();
      Step next;
      while (((next = step) == null || next == done) && !closed) {
        if (System.nanoTime() - start < SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      if (closed) {
        return;
      }
      done = next;
      if (part < next.parts()) {
        try {
          next.body().accept(part);
        } catch (RuntimeException | Error e) {
          failures[part] = e;
        }
        if (remaining.decrementAndGet() == 0) {
          LockSupport.unpark(caller);
        }
      }
    }
  }

  /** Stops the helpers once they end their part. */
  @Override
  public void close() {
    closed = true;
    for (Thread t : threads) {
      LockSupport.unpark(t);
    }
  }
}
