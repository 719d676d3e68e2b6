package dev.kamado.trainer.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kamado.api.v1alpha1.LearningRateSchedule;
import org.junit.jupiter.api.Test;

/** Values as transformers' get_*_schedule_with_warmup give them (lr_lambda(step) * peak). */
class LrScheduleTest {
  @Test
  void linearWarmUpThenCosineToZero() {
    LrSchedule s = new LrSchedule(1e-3, 10, 110, LearningRateSchedule.COSINE);
    assertThat(s.at(0)).isZero();
    assertThat(s.at(5)).isCloseTo(5e-4, within(1e-15));
    assertThat(s.at(10)).isCloseTo(1e-3, within(1e-15));
    assertThat(s.at(60)).isCloseTo(5e-4, within(1e-15));
    assertThat(s.at(35)).isCloseTo(1e-3 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), within(1e-15));
    assertThat(s.at(110)).isCloseTo(0, within(1e-18));
  }

  @Test
  void linearAndConstantAfterWarmUp() {
    LrSchedule linear = new LrSchedule(2e-4, 0, 100, LearningRateSchedule.LINEAR);
    assertThat(linear.at(0)).isEqualTo(2e-4);
    assertThat(linear.at(25)).isCloseTo(1.5e-4, within(1e-15));
    assertThat(linear.at(100)).isZero();
    LrSchedule constant = new LrSchedule(2e-4, 4, 100, LearningRateSchedule.CONSTANT);
    assertThat(constant.at(2)).isCloseTo(1e-4, within(1e-15));
    assertThat(constant.at(99)).isEqualTo(2e-4);
  }
}
