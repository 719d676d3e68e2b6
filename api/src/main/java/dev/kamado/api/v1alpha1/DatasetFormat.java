package dev.kamado.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Layout of the dataset's JSON Lines records. */
public enum DatasetFormat {
  /** {@code {"messages": [{"role": "system|user|assistant", "content": "..."}]}} per line. */
  @JsonProperty("chat")
  CHAT,
  /** {@code {"input": "...", "output": "..."}} per line. */
  @JsonProperty("completion")
  COMPLETION,
  /** {@code {"text": "..."}} per line, or plain text files, for continued pre-training. */
  @JsonProperty("text")
  TEXT
}
