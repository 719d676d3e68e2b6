package dev.kamado.model.tokenizer;

import java.util.List;

/**
 * Renders chat messages into model input text, split into segments that say which text is trained on.
 *
 * <p>For the recognised template families ({@link ChatTemplates}), concatenating the segments gives exactly the text
 * of {@code transformers}' {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)}. That
 * text already holds the special tokens the template writes (for example the BOS token of Llama 3), so encode it with
 * {@code addSpecialTokens = false}.
 */
public interface ChatTemplate {

  /** Template family: {@code chatml}, {@code llama3}, {@code mistral} or {@code plain}. */
  String name();

  /**
   * Renders {@code messages}.
   *
   * @param addGenerationPrompt append the text that opens an assistant turn (for inference)
   * @throws IllegalArgumentException when the template cannot render these messages (the message says why, e.g. roles
   *     that must alternate)
   */
  List<ChatSegment> render(List<ChatMessage> messages, boolean addGenerationPrompt);

  /** The rendered text: the concatenation of {@link #render}'s segments. */
  default String renderText(List<ChatMessage> messages, boolean addGenerationPrompt) {
    StringBuilder out = new StringBuilder();
    for (ChatSegment s : render(messages, addGenerationPrompt)) {
      out.append(s.text());
    }
    return out.toString();
  }
}
