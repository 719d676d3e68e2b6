package dev.kamado.model.tokenizer;

import java.util.Objects;

/**
 * A piece of rendered chat text.
 *
 * @param text the text (may contain special-token text such as {@code <|im_end|>})
 * @param trainable true for assistant content and the token(s) that end the assistant turn: the only text that
 *     supervised fine-tuning puts loss on
 */
public record ChatSegment(String text, boolean trainable) {

  /** Checks that the text is present. */
  public ChatSegment {
    Objects.requireNonNull(text, "text");
  }
}
