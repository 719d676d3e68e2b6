package dev.kamado.trainer.data;

import java.util.List;

/** One parsed, valid dataset record before tokenisation. */
public sealed interface RawExample {

  /** Where the record came from. */
  SourceLine source();

  /** One chat message. */
  record Message(String role, String content) {}

  /** A {@code chat} record: the conversation; the loss goes to the assistant turns. */
  record Chat(SourceLine source, List<Message> messages) implements RawExample {
    /** Copies the list. */
    public Chat {
      messages = List.copyOf(messages);
    }
  }

  /** A {@code completion} record: the loss goes to {@code output} (and the end-of-sequence token). */
  record Completion(SourceLine source, String input, String output) implements RawExample {}

  /** A {@code text} record or plain text file, for continued pre-training: every token is a target. */
  record Text(SourceLine source, String text) implements RawExample {}
}
