package dev.kamado.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

  @Test
  void stopStringSplitAcrossPiecesIsNeverSent() {
    StopMatcher matcher = new StopMatcher(List.of("END"));
    StringBuilder sent = new StringBuilder();
    for (String piece : List.of("hello E", "N", "D world")) {
      sent.append(matcher.append(piece));
      if (matcher.stopped()) {
        break;
      }
    }
    assertThat(matcher.stopped()).isTrue();
    assertThat(sent.toString()).isEqualTo("hello ");
  }

  @Test
  void heldBackPrefixIsReleasedWhenItTurnsOutNotToBeAStop() {
    StopMatcher matcher = new StopMatcher(List.of("END"));
    assertThat(matcher.append("abc EN")).isEqualTo("abc ");
    assertThat(matcher.append("x")).isEqualTo("ENx");
    assertThat(matcher.append("E")).isEmpty();
    assertThat(matcher.flush()).isEqualTo("E");
    assertThat(matcher.stopped()).isFalse();
  }

  @Test
  void earliestOfSeveralStopsWins() {
    StopMatcher matcher = new StopMatcher(List.of("zz", "\n"));
    assertThat(matcher.append("a\nbzz")).isEqualTo("a");
    assertThat(matcher.stopped()).isTrue();
  }

  @Test
  void noStopsPassesTextThrough() {
    StopMatcher matcher = new StopMatcher(List.of());
    assertThat(matcher.append("anything")).isEqualTo("anything");
    assertThat(matcher.flush()).isEmpty();
  }
}
