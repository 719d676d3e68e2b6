package dev.kamado.operator.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kamado.api.v1alpha1.AutoscalerStatus;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AutoscalerMemoryTest {
  private static final Instant T0 = Instant.parse("2026-11-28T10:00:00.400Z");

  private static AutoscalerStatus status(String decision, int desired, Instant read) {
    AutoscalerStatus s = new AutoscalerStatus();
    s.setLastDecision(decision);
    s.setDesiredReplicas(desired);
    s.setLastReadTime(read.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    return s;
  }

  @Test
  void withoutAnEarlierDecisionTheCachedStatusIsTheState() {
    AutoscalerMemory memory = new AutoscalerMemory();
    AutoscalerStatus cached = status("hold at 4", 4, T0);
    assertThat(memory.current("uid", cached)).isSameAs(cached);
    assertThat(memory.current("uid", null)).isNotNull();
    assertThat(memory.last("uid")).isNull();
  }

  @Test
  void aCachedStatusOlderThanTheLastDecisionIsReplacedAsAWhole() {
    AutoscalerMemory memory = new AutoscalerMemory();
    AutoscalerStatus stale = status("hold at 4: a recommendation of 4 within the last 30s keeps it", 4, T0);
    AutoscalerStatus written = status("scale down 4 -> 3", 3, T0.plusSeconds(5));
    written.setLastScaleTime(T0.plusSeconds(5).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    memory.remember("uid", T0.plusSeconds(5), written);
    written.setLastDecision("edited after remembering");

    AutoscalerStatus current = memory.current("uid", stale);
    assertThat(current.getLastDecision()).isEqualTo("scale down 4 -> 3");
    assertThat(current.getDesiredReplicas()).isEqualTo(3);
    assertThat(current.getLastScaleTime()).isEqualTo("2026-11-28T10:00:05Z");
    assertThat(memory.last("uid").desiredReplicas()).isEqualTo(3);
    // A copy: editing it does not edit what is remembered.
    current.setDesiredReplicas(7);
    assertThat(memory.current("uid", stale).getDesiredReplicas()).isEqualTo(3);
    assertThat(memory.current("uid", null).getLastDecision()).isEqualTo("scale down 4 -> 3");
  }

  @Test
  void aCachedStatusWrittenByTheLastDecisionOrLaterIsKept() {
    AutoscalerMemory memory = new AutoscalerMemory();
    memory.remember("uid", T0, status("scale down 4 -> 3", 3, T0));
    // Status times are whole seconds: the patch of the decision at 10:00:00.400 reads 10:00:00.
    AutoscalerStatus patched = status("scale down 4 -> 3", 3, T0);
    assertThat(memory.current("uid", patched)).isSameAs(patched);
    AutoscalerStatus newer = status("hold at 3", 3, T0.plusSeconds(5));
    assertThat(memory.current("uid", newer)).isSameAs(newer);
  }

  @Test
  void forgetsModelServersThatAreGone() {
    AutoscalerMemory memory = new AutoscalerMemory();
    memory.remember("a", T0, status("x", 2, T0));
    memory.remember("b", T0, status("x", 2, T0));
    memory.retain(Set.of("b"));
    assertThat(memory.last("a")).isNull();
    assertThat(memory.last("b")).isNotNull();
  }
}
