package dev.kamado.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {
  private static final Instant T0 = Instant.parse("2026-11-28T10:00:00.123Z");
  private static final Instant T1 = Instant.parse("2026-11-28T10:05:00Z");

  @Test
  void transitionTimeChangesOnlyWhenTheStatusChanges() {
    List<Condition> conditions = new ArrayList<>();
    Conditions.set(conditions, "Ready", Conditions.FALSE, "Starting", "pods starting", 1L, T0);
    assertThat(conditions).singleElement().satisfies(c -> {
      assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-28T10:00:00Z");
      assertThat(c.getObservedGeneration()).isEqualTo(1L);
    });

    Conditions.set(conditions, "Ready", Conditions.FALSE, "StillStarting", "1 of 2 ready", 2L, T1);
    assertThat(conditions).singleElement().satisfies(c -> {
      assertThat(c.getLastTransitionTime()).as("same status keeps its time").isEqualTo("2026-11-28T10:00:00Z");
      assertThat(c.getReason()).isEqualTo("StillStarting");
      assertThat(c.getObservedGeneration()).isEqualTo(2L);
    });

    Conditions.set(conditions, "Ready", Conditions.TRUE, "Available", "2 of 2 ready", 2L, T1);
    assertThat(conditions).singleElement()
        .satisfies(c -> assertThat(c.getLastTransitionTime()).isEqualTo("2026-11-28T10:05:00Z"));
    assertThat(Conditions.isTrue(conditions, "Ready")).isTrue();
  }

  @Test
  void conditionsAreKeyedByType() {
    List<Condition> conditions = new ArrayList<>();
    Conditions.set(conditions, "Ready", Conditions.FALSE, "A", "a", 1L, T0);
    Conditions.set(conditions, "ModelResolved", Conditions.TRUE, "B", "b", 1L, T0);
    Conditions.set(conditions, "Ready", Conditions.TRUE, "C", "c", 1L, T1);
    assertThat(conditions).extracting(Condition::getType).containsExactly("Ready", "ModelResolved");
    assertThat(Conditions.isTrue(conditions, "Missing")).isFalse();
  }
}
