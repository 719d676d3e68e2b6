package dev.kamado.trainer.data;

/**
 * A tokenised example: token ids and, per token, whether the model is trained to predict it (answer tokens for
 * supervised fine-tuning, every token for continued pre-training).
 *
 * @param tokens token ids
 * @param targets {@code targets[t]}: token {@code t} is a loss target (predicted from the tokens before it)
 * @param source where it came from
 */
public record EncodedExample(int[] tokens, boolean[] targets, SourceLine source) {

  /** Checks that both arrays have the same length. */
  public EncodedExample {
    if (tokens.length != targets.length) {
      throw new IllegalArgumentException("tokens and targets differ in length");
    }
  }

  /** Number of tokens. */
  public int length() {
    return tokens.length;
  }

  /** Number of tokens the loss is taken on: targets after the first position (the first has nothing before it). */
  public int targetCount() {
    int n = 0;
    for (int t = 1; t < targets.length; t++) {
      if (targets[t]) {
        n++;
      }
    }
    return n;
  }
}
