package dev.kamado.trainer.data;

import dev.kamado.api.v1alpha1.InvalidExamplePolicy;
import dev.kamado.trainer.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training and evaluation examples after validation, with the count of skipped lines per reason.
 *
 * @param train training examples
 * @param eval evaluation examples (may be empty)
 * @param skipped skipped lines per reason label (empty when none)
 */
public record PreparedData(List<EncodedExample> train, List<EncodedExample> eval, Map<String, Integer> skipped) {
  private static final Logger LOG = LoggerFactory.getLogger(PreparedData.class);
  /** How many problems an invalid-input failure lists before "and N more". */
  static final int LISTED = 10;

  /**
   * Applies the policy to the problems of the training (and evaluation) data: with {@code fail}, any problem fails
   * the run with a message listing the first problems; with {@code skip}, each skipped line is logged and counted.
   * Either way the run fails when no training example is left.
   *
   * @throws InvalidInputException when the data is unusable
   */
  public static PreparedData of(List<EncodedExample> train, List<EncodedExample> eval, List<DatasetProblem> problems,
      InvalidExamplePolicy policy) {
    if (!problems.isEmpty() && policy == InvalidExamplePolicy.FAIL) {
      StringBuilder sb = new StringBuilder();
      sb.append(problems.size()).append(problems.size() == 1 ? " invalid example: " : " invalid examples: ");
      for (int i = 0; i < Math.min(LISTED, problems.size()); i++) {
        sb.append(i == 0 ? "" : "; ").append(problems.get(i).message());
      }
      if (problems.size() > LISTED) {
        sb.append("; and ").append(problems.size() - LISTED).append(" more");
      }
      sb.append(" (set dataset.invalidExamples to skip to train without them)");
      problems.forEach(p -> LOG.error("Invalid example: {}", p.message()));
      throw new InvalidInputException(sb.toString());
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (DatasetProblem p : problems) {
      LOG.warn("Skipping {} ({})", p.message(), p.reason().label());
      counts.merge(p.reason().label(), 1, Integer::sum);
    }
    if (!counts.isEmpty()) {
      LOG.warn("Skipped {} dataset lines: {}", problems.size(), counts);
    }
    if (train.isEmpty()) {
      throw new InvalidInputException("the dataset has no usable training example"
          + (problems.isEmpty() ? "" : " (" + problems.size() + " lines skipped: " + counts + ")"));
    }
    return new PreparedData(train, eval, counts);
  }

  /**
   * Splits off a deterministic evaluation share: a seeded permutation picks {@code ceil(fraction * n)} examples
   * (at least one, and never all).
   *
   * @return [train, eval]
   */
  public static List<List<EncodedExample>> split(List<EncodedExample> all, double fraction, long seed) {
    if (fraction <= 0 || all.size() < 2) {
      return List.of(all, List.of());
    }
    int evalCount = (int) Math.min(all.size() - 1, Math.max(1, Math.ceil(fraction * all.size())));
    int[] order = DataPlan.permutation(all.size(), seed ^ 0x5EEDL, -1);
    boolean[] isEval = new boolean[all.size()];
    for (int i = 0; i < evalCount; i++) {
      isEval[order[i]] = true;
    }
    List<EncodedExample> train = new ArrayList<>();
    List<EncodedExample> eval = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      (isEval[i] ? eval : train).add(all.get(i));
    }
    return List.of(train, eval);
  }

  /** Token count of each training example. */
  public int[] trainLengths() {
    return train.stream().mapToInt(EncodedExample::length).toArray();
  }

  @Override
  public String toString() {
    return "PreparedData[train=" + train.size() + ", eval=" + eval.size() + ", skipped=" + skipped + ", tokens="
        + Arrays.stream(trainLengths()).asLongStream().sum() + "]";
  }
}
