package dev.kamado.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class StepCrewTest {

  @Test
  void everyStepRunsEachOfItsPartsOnceOnItsOwnThread() throws Exception {
    try (StepCrew crew = new StepCrew(3, "test-crew")) {
      assertThat(crew.capacity()).isEqualTo(4);
      Random random = new Random(7);
      Thread caller = Thread.currentThread();
      for (int step = 0; step < 5000; step++) {
        int parts = 1 + random.nextInt(4);
        AtomicIntegerArray runs = new AtomicIntegerArray(4);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        boolean[] callerRanPartZero = new boolean[1];
        crew.run(parts, p -> {
          runs.incrementAndGet(p);
          threads.add(Thread.currentThread());
          if (p == 0) {
            callerRanPartZero[0] = Thread.currentThread() == caller;
          }
          if (random.nextInt(50) == 0) { // now and then a part that outlasts the spin
            try {
              Thread.sleep(1);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
        for (int p = 0; p < 4; p++) {
          assertThat(runs.get(p)).as("step %d with %d parts, part %d", step, parts, p).isEqualTo(p < parts ? 1 : 0);
        }
        assertThat(threads).as("step %d", step).hasSize(parts);
        assertThat(callerRanPartZero[0]).isTrue();
      }
    }
  }

  @Test
  void aFailingPartFailsTheStepAfterEveryPartHasEnded() {
    try (StepCrew crew = new StepCrew(1, "test-crew")) {
      AtomicIntegerArray ended = new AtomicIntegerArray(2);
      assertThatThrownBy(() -> crew.run(2, p -> {
        if (p == 1) {
          throw new IllegalStateException("part 1 failed");
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ended.set(p, 1);
      })).isInstanceOf(IllegalStateException.class).hasMessage("part 1 failed");
      assertThat(ended.get(0)).isEqualTo(1);
      // the crew still works after a failed step
      AtomicIntegerArray runs = new AtomicIntegerArray(2);
      crew.run(2, runs::incrementAndGet);
      assertThat(runs.get(0) + runs.get(1)).isEqualTo(2);
      assertThatThrownBy(() -> crew.run(3, p -> { })).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("3 parts for 2 threads");
    }
  }

  @Test
  void closeStopsTheThreads() throws Exception {
    StepCrew crew = new StepCrew(2, "closing-crew");
    crew.run(3, p -> { });
    crew.close();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("closing-crew"))) {
      assertThat(System.nanoTime()).as("crew threads still alive 5 s after close").isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
