package dev.kamado.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchTest {
  private static final SourceLine SRC = new SourceLine(Path.of("d.jsonl"), 1);
  private static final long X = Batch.IGNORE;

  /** Prompt 10 11 12, answer 20 21 (target), end 2 (target). */
  private static final EncodedExample SFT = new EncodedExample(new int[] {10, 11, 12, 20, 21, 2},
      new boolean[] {false, false, false, true, true, true}, SRC);
  private static final EncodedExample TEXT = new EncodedExample(new int[] {30, 31, 32},
      new boolean[] {true, true, true}, SRC);

  @Test
  void labelsAreTheNextTokenOnlyWhereThatTokenIsAnAnswerToken() {
    Batch b = Batch.of(List.of(SFT), new int[][] {{0}}, 0);
    assertThat(b.labels()).containsExactly(X, X, 20, 21, 2, X);
    assertThat(b.segmentIds()).containsExactly(1, 1, 1, 1, 1, 1);
    assertThat(b.targetTokens()).isEqualTo(3).isEqualTo(SFT.targetCount());
    assertThat(b.tokens()).isEqualTo(6);
  }

  @Test
  void paddingGetsSegmentZeroPadIdAndNoLabel() {
    Batch b = Batch.of(List.of(SFT, TEXT), new int[][] {{0}, {1}}, 7);
    assertThat(b.rows()).isEqualTo(2);
    assertThat(b.width()).isEqualTo(6);
    assertThat(b.inputIds()).containsExactly(10, 11, 12, 20, 21, 2, 30, 31, 32, 7, 7, 7);
    assertThat(b.segmentIds()).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0);
    assertThat(b.labels()).containsExactly(X, X, 20, 21, 2, X, 31, 32, X, X, X, X);
    assertThat(b.tokens()).isEqualTo(9);
    assertThat(b.targetTokens()).isEqualTo(5);
  }

  @Test
  void packedExamplesGetTheirOwnSegmentsAndNoLabelCrossesABoundary() {
    Batch b = Batch.of(List.of(SFT, TEXT), new int[][] {{1, 0, 1}}, 0);
    assertThat(b.inputIds()).containsExactly(30, 31, 32, 10, 11, 12, 20, 21, 2, 30, 31, 32);
    assertThat(b.segmentIds()).containsExactly(1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3);
    assertThat(b.labels()).containsExactly(31, 32, X, X, X, 20, 21, 2, X, 31, 32, X);
  }
}
