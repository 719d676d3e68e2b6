package dev.kamado.model.tokenizer;

import java.util.Objects;

/**
 * One chat message.
 *
 * @param role {@code system}, {@code user} or {@code assistant} (templates may accept others)
 * @param content the message text
 */
public record ChatMessage(String role, String content) {

  /** Checks that both fields are present. */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  /** A {@code system} message. */
  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  /** A {@code user} message. */
  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  /** An {@code assistant} message. */
  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
