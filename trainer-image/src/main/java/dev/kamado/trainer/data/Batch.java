package dev.kamado.trainer.data;

import java.util.List;

/**
 * One micro-batch as flat row-major arrays of shape {@code [rows, width]}, ready to become NDArrays.
 *
 * <p>Each row holds one example (padding) or several (packing). {@code segmentIds} numbers the examples of a row
 * 1, 2, 3 ... and is 0 on padding, so attention stays inside an example and positions restart for each one.
 * {@code labels[t]} is the token the model must predict at position {@code t} (the next token of the same example
 * when that token is a target), else {@value #IGNORE}.
 *
 * @param rows rows in the batch
 * @param width tokens per row (the longest row; shorter rows are padded)
 * @param inputIds token ids, padding filled with the pad id
 * @param segmentIds example number within the row, 0 for padding
 * @param labels targets, {@value #IGNORE} where no loss is taken
 * @param tokens real (non-padding) tokens
 * @param targetTokens labels that are not {@value #IGNORE}
 */
public record Batch(int rows, int width, long[] inputIds, long[] segmentIds, long[] labels, int tokens,
    int targetTokens) {

  /** Label value that the loss ignores. */
  public static final long IGNORE = -100;

  /**
   * Builds the batch for {@code rows}, each a list of indices into {@code examples}.
   *
   * @param padId token id written into padding positions (any valid id; padding is masked)
   */
  public static Batch of(List<EncodedExample> examples, int[][] rows, int padId) {
    int width = 0;
    for (int[] row : rows) {
      int len = 0;
      for (int i : row) {
        len += examples.get(i).length();
      }
      width = Math.max(width, len);
    }
    int n = rows.length * width;
    long[] ids = new long[n];
    long[] segments = new long[n];
    long[] labels = new long[n];
    java.util.Arrays.fill(ids, padId);
    java.util.Arrays.fill(labels, IGNORE);
    int tokens = 0;
    int targets = 0;
    for (int r = 0; r < rows.length; r++) {
      int pos = r * width;
      int segment = 1;
      for (int i : rows[r]) {
        EncodedExample e = examples.get(i);
        int[] tok = e.tokens();
        boolean[] tgt = e.targets();
        for (int t = 0; t < tok.length; t++) {
          ids[pos + t] = tok[t];
          segments[pos + t] = segment;
          if (t + 1 < tok.length && tgt[t + 1]) {
            labels[pos + t] = tok[t + 1];
            targets++;
          }
        }
        pos += tok.length;
        tokens += tok.length;
        segment++;
      }
    }
    return new Batch(rows.length, width, ids, segments, labels, tokens, targets);
  }
}
