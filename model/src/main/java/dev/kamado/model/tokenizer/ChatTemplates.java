package dev.kamado.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises the common Hugging Face chat templates (Jinja source from {@code tokenizer_config.json}) and renders
 * them in Java; Kamado does not run Jinja.
 *
 * <p>Recognised families (checked in this order):
 * <ul>
 *   <li>{@code chatml} (source contains {@code <|im_start|>}, as Qwen2 / Qwen2.5 use):
 *       {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n} per message; when the source writes a default
 *       {@code <|im_start|>system\n...<|im_end|>} block, it is rendered before the first message unless that message
 *       is a system message; generation prompt {@code <|im_start|>assistant\n}.</li>
 *   <li>{@code llama3} (source contains {@code <|start_header_id|>}): the BOS token (when the source uses
 *       {@code bos_token}), then {@code <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>} per message,
 *       CONTENT trimmed when the source applies {@code | trim}; generation prompt
 *       {@code <|start_header_id|>assistant<|end_header_id|>\n\n}. Llama 3.1+ templates with the built-in
 *       "Cutting Knowledge Date" system block are not recognised.</li>
 *   <li>{@code mistral} (source contains {@code '[INST] ' + message['content'] + ' [/INST]'}, Mistral-7B-Instruct
 *       v0.1/v0.2): BOS, then {@code [INST] USER [/INST]} and {@code ASSISTANT</s>}; roles must alternate starting
 *       with user, no system role; no generation prompt text.</li>
 * </ul>
 *
 * <p>Anything else (no template, or one not recognised) gets the {@code plain} template: {@code ROLE: CONTENT\n} for
 * each message, where an assistant message is {@code assistant: CONTENT EOS\n} (EOS = the EOS token text, when there
 * is one); the generation prompt is {@code assistant: }.
 *
 * <p>In every family the trainable segments are the assistant content plus the text of the token that ends the
 * assistant turn ({@code <|im_end|>}, {@code <|eot_id|>}, EOS); role headers, user and system text and the newline
 * after the end-of-turn token are not trainable.
 */
public final class ChatTemplates {

  /** Name of the fallback template. */
  public static final String PLAIN = "plain";

  private static final Pattern CHATML_DEFAULT_SYSTEM = Pattern.compile(
      "<\\|im_start\\|>system(?:\\\\n|\\n)([^'\"+{}]*?)<\\|im_end\\|>");
  private static final Pattern MISTRAL = Pattern.compile(
      "'\\[INST\\] ' \\+ message\\[['\"]content['\"]\\] \\+ ' \\[/INST\\]'");

  private ChatTemplates() {
  }

  /**
   * Chooses the template for a Jinja chat template source.
   *
   * @param source the {@code chat_template} from tokenizer_config.json, or null
   * @param bosToken BOS token text, or null
   * @param eosToken EOS token text, or null
   * @return the recognised template, or {@link #plain(String)} when {@code source} is null or not recognised
   */
  public static ChatTemplate detect(String source, String bosToken, String eosToken) {
    return recognise(source, bosToken, eosToken).orElseGet(() -> plain(eosToken));
  }

  /** The recognised template for {@code source}, or empty when there is none or it is not one of the families. */
  public static Optional<ChatTemplate> recognise(String source, String bosToken, String eosToken) {
    if (source == null || source.isBlank()) {
      return Optional.empty();
    }
    if (source.contains("<|im_start|>")) {
      if (source.contains("<think>") || source.contains("reasoning_content")) {
        return Optional.empty();
      }
      Matcher m = CHATML_DEFAULT_SYSTEM.matcher(source);
      String defaultSystem = m.find() ? unescape(m.group(1)) : null;
      return Optional.of(new ChatMl(defaultSystem));
    }
    if (source.contains("<|start_header_id|>")) {
      if (source.contains("Cutting Knowledge Date")) {
        return Optional.empty();
      }
      String bos = source.contains("bos_token") && bosToken != null ? bosToken : "";
      return Optional.of(new Llama3(bos, source.contains("| trim") || source.contains("|trim")));
    }
    if (MISTRAL.matcher(source).find()) {
      return Optional.of(new Mistral(source.contains("bos_token") && bosToken != null ? bosToken : "",
          eosToken == null ? "" : eosToken));
    }
    return Optional.empty();
  }

  /** The documented fallback template (see the class comment); {@code eosToken} may be null. */
  public static ChatTemplate plain(String eosToken) {
    return new Plain(eosToken == null ? "" : eosToken);
  }

  private static String unescape(String jinjaLiteral) {
    return jinjaLiteral.replace("\\n", "\n").replace("\\t", "\t");
  }

  /** Python's {@code str.strip()} (what Jinja's {@code trim} filter calls). */
  static String pythonStrip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isPythonSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isPythonSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean isPythonSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }

  /** Collects segments, merging neighbours with the same flag. */
  private static final class Segments {
    private final List<ChatSegment> out = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private boolean trainable;

    Segments add(String s, boolean train) {
      if (s.isEmpty()) {
        return this;
      }
      if (text.length() > 0 && train != trainable) {
        flush();
      }
      trainable = train;
      text.append(s);
      return this;
    }

    List<ChatSegment> done() {
      flush();
      return List.copyOf(out);
    }

    private void flush() {
      if (text.length() > 0) {
        out.add(new ChatSegment(text.toString(), trainable));
        text.setLength(0);
      }
    }
  }

  private static boolean isAssistant(ChatMessage m) {
    return "assistant".equals(m.role());
  }

  private record ChatMl(String defaultSystem) implements ChatTemplate {
    @Override
    public String name() {
      return "chatml";
    }

    @Override
    public List<ChatSegment> render(List<ChatMessage> messages, boolean addGenerationPrompt) {
      Segments s = new Segments();
      if (defaultSystem != null && !messages.isEmpty() && !"system".equals(messages.get(0).role())) {
        s.add("<|im_start|>system\n" + defaultSystem + "<|im_end|>\n", false);
      }
      for (ChatMessage m : messages) {
        s.add("<|im_start|>" + m.role() + "\n", false);
        boolean train = isAssistant(m);
        s.add(m.content() + "<|im_end|>", train);
        s.add("\n", false);
      }
      if (addGenerationPrompt) {
        s.add("<|im_start|>assistant\n", false);
      }
      return s.done();
    }
  }

  private record Llama3(String bos, boolean trim) implements ChatTemplate {
    @Override
    public String name() {
      return "llama3";
    }

    @Override
    public List<ChatSegment> render(List<ChatMessage> messages, boolean addGenerationPrompt) {
      Segments s = new Segments();
      s.add(bos, false);
      for (ChatMessage m : messages) {
        s.add("<|start_header_id|>" + m.role() + "<|end_header_id|>\n\n", false);
        s.add((trim ? pythonStrip(m.content()) : m.content()) + "<|eot_id|>", isAssistant(m));
      }
      if (addGenerationPrompt) {
        s.add("<|start_header_id|>assistant<|end_header_id|>\n\n", false);
      }
      return s.done();
    }
  }

  private record Mistral(String bos, String eos) implements ChatTemplate {
    @Override
    public String name() {
      return "mistral";
    }

    @Override
    public List<ChatSegment> render(List<ChatMessage> messages, boolean addGenerationPrompt) {
      Segments s = new Segments();
      s.add(bos, false);
      for (int i = 0; i < messages.size(); i++) {
        ChatMessage m = messages.get(i);
        if ("user".equals(m.role()) != (i % 2 == 0)) {
          throw new IllegalArgumentException("Conversation roles must alternate user/assistant/user/assistant/... "
              + "(message " + i + " has role '" + m.role() + "')");
        }
        if ("user".equals(m.role())) {
          s.add("[INST] " + m.content() + " [/INST]", false);
        } else if (isAssistant(m)) {
          s.add(m.content() + eos, true);
        } else {
          throw new IllegalArgumentException("Only user and assistant roles are supported! (message " + i
              + " has role '" + m.role() + "')");
        }
      }
      return s.done();
    }
  }

  private record Plain(String eos) implements ChatTemplate {
    @Override
    public String name() {
      return PLAIN;
    }

    @Override
    public List<ChatSegment> render(List<ChatMessage> messages, boolean addGenerationPrompt) {
      Segments s = new Segments();
      for (ChatMessage m : messages) {
        s.add(m.role() + ": ", false);
        if (isAssistant(m)) {
          s.add(m.content() + eos, true);
        } else {
          s.add(m.content(), false);
        }
        s.add("\n", false);
      }
      if (addGenerationPrompt) {
        s.add("assistant: ", false);
      }
      return s.done();
    }
  }
}
