package dev.kamado.model.tokenizer;

/**
 * Token ids of a rendered chat and, per token, whether supervised fine-tuning puts loss on it.
 *
 * @param ids token ids of the whole rendered text (encoded in one piece, as inference sees it)
 * @param trainable {@code trainable[i]} is true when token {@code i} starts inside a trainable {@link ChatSegment}
 */
public record ChatEncoding(int[] ids, boolean[] trainable) {

  /** Checks that both arrays have the same length. */
  public ChatEncoding {
    if (ids.length != trainable.length) {
      throw new IllegalArgumentException("ids and trainable differ in length: " + ids.length + " vs "
          + trainable.length);
    }
  }

  /** Number of trainable tokens. */
  public int trainableCount() {
    int n = 0;
    for (boolean t : trainable) {
      n += t ? 1 : 0;
    }
    return n;
  }
}
