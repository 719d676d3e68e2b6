package dev.kamado.operator.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kamado.operator.autoscale.ScalingDecision.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The autoscaling rule on synthetic load series, evaluated every 5 s as the operator does. */
class ScalingPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-28T12:00:00Z");
  private static final int STEP_SECONDS = 5;
  private static final ScalingSettings SETTINGS =
      new ScalingSettings(1, 10, 200, 2, Duration.ZERO, Duration.ofSeconds(300));

  /** Replays a series of total tokens/s (one value per 5 s step); returns the replica count after each step. */
  private static final class Run {
    final ScalingSettings settings;
    int replicas;
    List<Recommendation> window = new ArrayList<>();
    final List<Integer> replicasPerStep = new ArrayList<>();
    final List<ScalingDecision> decisions = new ArrayList<>();
    int step;

    Run(ScalingSettings settings, int replicas) {
      this.settings = settings;
      this.replicas = replicas;
    }

    Run feed(int steps, IntToDoubleFunction tokensPerSecond) {
      for (int i = 0; i < steps; i++) {
        double tps = tokensPerSecond.applyAsDouble(i);
        MetricsReading reading = Double.isNaN(tps)
            ? new MetricsReading.Missing("pods", "no ready replica answered")
            : new MetricsReading.Figures("pods", tps, 0, replicas, replicas);
        apply(reading);
      }
      return this;
    }

    ScalingDecision apply(MetricsReading reading) {
      ScalingDecision d = ScalingPolicy.decide(settings, replicas, reading, window, now());
      replicas = d.desiredReplicas();
      window = d.recommendations();
      replicasPerStep.add(replicas);
      decisions.add(d);
      step++;
      return d;
    }

    Instant now() {
      return T0.plusSeconds((long) step * STEP_SECONDS);
    }

    long changes() {
      return decisions.stream().filter(ScalingDecision::changesReplicas).count();
    }
  }

  @Test
  void aLoadStepScalesUpAtOnceDoublingPerStep() {
    Run run = new Run(SETTINGS, 1).feed(12, i -> 100);
    assertThat(run.replicas).isEqualTo(1);
    // 1500 tokens/s at 200 per replica: 8 replicas, reached by doubling 1 -> 2 -> 4 -> 8.
    run.feed(3, i -> 1500);
    assertThat(run.replicasPerStep.subList(12, 15)).containsExactly(2, 4, 8);
    assertThat(run.decisions.get(12).kind()).isEqualTo(Kind.SCALE_UP);
    assertThat(run.decisions.get(12).message()).contains("scale up 1 -> 2", "1500.0 tokens/s over target 200/replica",
        "at most doubling");
    assertThat(run.decisions.get(14).message()).doesNotContain("doubling");
  }

  @Test
  void aLoadDropScalesDownOnlyAfterTheWindowToTheHighestRecommendationInIt() {
    Run run = new Run(SETTINGS, 1).feed(4, i -> 1500);
    assertThat(run.replicas).isEqualTo(8);
    // Load falls to 700 tokens/s (4 replicas) for 60 s, then to 300 (2 replicas).
    run.feed(12, i -> 700).feed(200, i -> 300);
    int dropStep = 4;
    int firstDown = indexOfFirst(run, Kind.SCALE_DOWN);
    // Not before the 300 s window since the last recommendation of 8, and then to the highest left in it (4).
    assertThat((firstDown - (dropStep - 1)) * STEP_SECONDS).isGreaterThanOrEqualTo(300);
    assertThat(run.replicasPerStep.get(firstDown)).isEqualTo(4);
    assertThat(run.decisions.get(firstDown).message()).contains("scale down 8 -> 4", "highest recommendation");
    // 300 s after the 700 tokens/s minute, down to 2; nothing in between.
    int secondDown = indexOfNext(run, Kind.SCALE_DOWN, firstDown + 1);
    assertThat(run.replicasPerStep.get(secondDown)).isEqualTo(2);
    assertThat((secondDown - (dropStep + 12 - 1)) * STEP_SECONDS).isGreaterThanOrEqualTo(300);
    assertThat(run.changes()).isEqualTo(3 + 2);
    assertThat(run.replicas).isEqualTo(2);
  }

  @Test
  void shortSpikesScaleUpButDipsNeverScaleDownWithinTheWindow() {
    // Steady 500 tokens/s (3 replicas) with a one-step spike to 1900 (10) every minute.
    Run run = new Run(SETTINGS, 3).feed(120, i -> i % 12 == 6 ? 1900 : 500);
    // The first spike scales up (3 -> 6 -> 10 over two spikes, doubling), and since every spike comes again within
    // the window, the count never drops: no flapping.
    assertThat(run.replicasPerStep.subList(0, 6)).containsOnly(3);
    assertThat(run.replicasPerStep.get(6)).isEqualTo(6);
    assertThat(run.replicasPerStep.get(18)).isEqualTo(10);
    assertThat(run.replicasPerStep.subList(18, 120)).containsOnly(10);
    assertThat(run.changes()).isEqualTo(2);
    // When the spikes stop, the count comes down once, 300 s after the last one.
    run.feed(80, i -> 500);
    assertThat(run.replicas).isEqualTo(3);
    assertThat(run.changes()).isEqualTo(3);
  }

  @Test
  void loadOscillatingAroundAThresholdDoesNotFlap() {
    // 390 and 410 tokens/s alternate: 2 and 3 replicas recommended in turn, for 20 minutes.
    Run run = new Run(SETTINGS, 2).feed(240, i -> i % 2 == 0 ? 410 : 390);
    assertThat(run.replicasPerStep.subList(0, 240)).containsOnly(3);
    assertThat(run.changes()).isEqualTo(1);
  }

  @Test
  void minAndMaxBoundEveryDecision() {
    ScalingSettings bounded = new ScalingSettings(2, 5, 200, 2, Duration.ZERO, Duration.ofSeconds(300));
    Run run = new Run(bounded, 2).feed(10, i -> 100_000);
    assertThat(run.replicas).isEqualTo(5);
    assertThat(run.replicasPerStep).allMatch(r -> r >= 2 && r <= 5);
    run.feed(200, i -> 0);
    assertThat(run.replicas).isEqualTo(2);
    assertThat(run.replicasPerStep).allMatch(r -> r >= 2 && r <= 5);
    // A count outside new bounds moves into them at once, with or without figures.
    ScalingDecision d = ScalingPolicy.decide(bounded, 9, new MetricsReading.Missing("pods", "none"), List.of(), T0);
    assertThat(d.desiredReplicas()).isEqualTo(5);
    assertThat(d.kind()).isEqualTo(Kind.SCALE_DOWN);
    assertThat(d.message()).contains("must lie in [2, 5]");
  }

  @Test
  void missingMetricsHoldTheCountInsteadOfFallingToMin() {
    Run run = new Run(SETTINGS, 1).feed(4, i -> 1500);
    assertThat(run.replicas).isEqualTo(8);
    run.feed(200, i -> Double.NaN);
    assertThat(run.replicas).isEqualTo(8);
    assertThat(run.changes()).isEqualTo(3);
    assertThat(run.decisions.get(run.decisions.size() - 1).message())
        .isEqualTo("hold at 8: no metrics (no ready replica answered)");
  }

  @Test
  void partialFiguresMayScaleUpButNeverDown() {
    Run run = new Run(SETTINGS, 1).feed(100, i -> 1500);
    assertThat(run.replicas).isEqualTo(8);
    // Only 2 of 8 replicas answer, reporting 100 tokens/s: a lower bound, so no scale-down however long it lasts.
    for (int i = 0; i < 100; i++) {
      run.apply(new MetricsReading.Figures("pods", 100, 0, 2, 8));
    }
    assertThat(run.replicas).isEqualTo(8);
    assertThat(run.decisions.get(run.decisions.size() - 1).message()).contains("figures from 2 of 8");
    // A lower bound that already exceeds the count scales up.
    ScalingDecision d = run.apply(new MetricsReading.Figures("pods", 2000, 0, 7, 8));
    assertThat(d.desiredReplicas()).isEqualTo(10);
  }

  @Test
  void waitingRequestsAddAReplicaBeyondTheTokenRate() {
    // 150 tokens/s asks for 1 replica, but 5 requests wait at one replica (more than 2 per replica): one more.
    ScalingDecision d = ScalingPolicy.decide(SETTINGS, 1, new MetricsReading.Figures("prometheus", 150, 5, 1, 1),
        List.of(), T0);
    assertThat(d.desiredReplicas()).isEqualTo(2);
    assertThat(d.message()).contains("5 waiting requests");
    ScalingDecision calm = ScalingPolicy.decide(SETTINGS, 1, new MetricsReading.Figures("prometheus", 150, 2, 1, 1),
        List.of(), T0);
    assertThat(calm.kind()).isEqualTo(Kind.HOLD);
  }

  @Test
  void theWindowStateStaysSmallAndSurvivesARestart() {
    Run run = new Run(SETTINGS, 1).feed(4, i -> 1500).feed(30, i -> 300);
    assertThat(run.window.size()).isLessThanOrEqualTo(4);
    // A new operator continues from the saved count and window: still no scale-down inside the window.
    Run restarted = new Run(SETTINGS, run.replicas);
    restarted.window = new ArrayList<>(run.window);
    restarted.step = run.step;
    restarted.feed(20, i -> 300);
    assertThat(restarted.replicas).isEqualTo(8);
    // Without the window (state lost), the same readings would not be held back by the earlier peak.
    Run amnesiac = new Run(SETTINGS, run.replicas);
    amnesiac.step = run.step;
    amnesiac.feed(61, i -> 300);
    assertThat(amnesiac.replicas).isEqualTo(2);
    assertThat(amnesiac.decisions.get(60).kind()).isEqualTo(Kind.SCALE_DOWN);
    assertThat(amnesiac.replicasPerStep.subList(0, 60)).containsOnly(8);
  }

  @Test
  void aScaleUpWindowUsesTheLowestRecommendationInIt() {
    ScalingSettings slowUp = new ScalingSettings(1, 10, 200, 2, Duration.ofSeconds(30), Duration.ofSeconds(300));
    Run run = new Run(slowUp, 1).feed(6, i -> 100).feed(1, i -> 1500);
    // A single high reading with low ones within the last 30 s does not scale up.
    assertThat(run.replicas).isEqualTo(1);
    run.feed(7, i -> 1500);
    assertThat(run.replicas).isGreaterThan(1);
  }

  private static int indexOfFirst(Run run, Kind kind) {
    return indexOfNext(run, kind, 0);
  }

  private static int indexOfNext(Run run, Kind kind, int from) {
    for (int i = from; i < run.decisions.size(); i++) {
      if (run.decisions.get(i).kind() == kind) {
        return i;
      }
    }
    throw new AssertionError("no " + kind + " from step " + from);
  }
}
