package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatTemplatesTest {

  static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
      + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
      + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
      + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
      + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim"
      + " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
      + "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

  /** Qwen2.5-Instruct's template (tool calls, default system message outside the loop). */
  static final String QWEN25 = String.join("\n",
      "{%- if tools %}",
      "    {{- '<|im_start|>system\\n' }}",
      "    {%- if messages[0]['role'] == 'system' %}",
      "        {{- messages[0]['content'] }}",
      "    {%- else %}",
      "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}",
      "    {%- endif %}",
      "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided"
          + " with function signatures within <tools></tools> XML tags:\\n<tools>\" }}",
      "    {%- for tool in tools %}",
      "        {{- \"\\n\" }}",
      "        {{- tool | tojson }}",
      "    {%- endfor %}",
      "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within"
          + " <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\":"
          + " <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}",
      "{%- else %}",
      "    {%- if messages[0]['role'] == 'system' %}",
      "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}",
      "    {%- else %}",
      "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}",
      "    {%- endif %}",
      "{%- endif %}",
      "{%- for message in messages %}",
      "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role =="
          + " \"assistant\" and not message.tool_calls) %}",
      "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
      "    {%- elif message.role == \"assistant\" %}",
      "        {{- '<|im_start|>' + message.role }}",
      "        {%- if message.content %}",
      "            {{- '\\n' + message.content }}",
      "        {%- endif %}",
      "        {{- '<|im_end|>\\n' }}",
      "    {%- endif %}",
      "{%- endfor %}",
      "{%- if add_generation_prompt %}",
      "    {{- '<|im_start|>assistant\\n' }}",
      "{%- endif %}",
      "");

  static final List<ChatMessage> CHAT = List.of(ChatMessage.user("質問です"), ChatMessage.assistant(" 回答です "),
      ChatMessage.user("thanks"));

  @Test
  void chatMlWithADefaultSystemMessage() {
    ChatTemplate t = ChatTemplates.detect(QWEN2, null, "<|im_end|>");
    assertThat(t.name()).isEqualTo("chatml");
    assertThat(t.render(CHAT, true)).containsExactly(
        new ChatSegment("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n質問です"
            + "<|im_end|>\n<|im_start|>assistant\n", false),
        new ChatSegment(" 回答です <|im_end|>", true),
        new ChatSegment("\n<|im_start|>user\nthanks<|im_end|>\n<|im_start|>assistant\n", false));
    assertThat(t.renderText(List.of(ChatMessage.system("S"), ChatMessage.user("u")), false))
        .isEqualTo("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nu<|im_end|>\n");
  }

  @Test
  void qwen25DefaultSystemMessageIsFoundOutsideTheToolsBranch() {
    ChatTemplate t = ChatTemplates.detect(QWEN25, null, "<|im_end|>");
    assertThat(t.name()).isEqualTo("chatml");
    assertThat(t.renderText(List.of(ChatMessage.user("u")), true)).isEqualTo("<|im_start|>system\nYou are Qwen, "
        + "created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nu<|im_end|>\n"
        + "<|im_start|>assistant\n");
  }

  @Test
  void llama3TrimsContentAndStartsWithBos() {
    ChatTemplate t = ChatTemplates.detect(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
    assertThat(t.name()).isEqualTo("llama3");
    List<ChatSegment> s = t.render(CHAT, false);
    assertThat(s.get(0).text()).startsWith("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n質問です");
    assertThat(s.get(1)).isEqualTo(new ChatSegment("回答です<|eot_id|>", true));
    assertThat(s).hasSize(3);
  }

  @Test
  void mistralRefusesRolesThatDoNotAlternate() {
    ChatTemplate t = ChatTemplates.detect(SentencePieceFixture.MISTRAL_TEMPLATE, "<s>", "</s>");
    assertThat(t.name()).isEqualTo("mistral");
    assertThat(t.renderText(CHAT, true)).isEqualTo("<s>[INST] 質問です [/INST] 回答です </s>[INST] thanks [/INST]");
    assertThatThrownBy(() -> t.render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alternate");
  }

  @Test
  void plainIsTheFallbackForNoneOrUnknownTemplates() {
    for (String source : new String[] {null, "", "{{ messages | tojson }}"}) {
      ChatTemplate t = ChatTemplates.detect(source, null, "</s>");
      assertThat(t.name()).isEqualTo("plain");
      assertThat(t.render(CHAT, true)).containsExactly(
          new ChatSegment("user: 質問です\nassistant: ", false),
          new ChatSegment(" 回答です </s>", true),
          new ChatSegment("\nuser: thanks\nassistant: ", false));
    }
    assertThat(ChatTemplates.recognise("{{ messages | tojson }}", null, null)).isEmpty();
  }

  @Test
  void trimIsPythonStrip() {
    assertThat(ChatTemplates.pythonStrip("\u3000\u00a0 x \n\u2003")).isEqualTo("x");
  }

  @Test
  void encodeChatMarksAssistantTokensAndTheEndOfTurn(@TempDir Path dir) throws Exception {
    BpeTrainer trainer = new BpeTrainer(700);
    TestCorpus.lines(3, 60_000).forEach(trainer::add);
    trainer.train().save(dir);
    try (TextTokenizer tok = TextTokenizer.load(dir)) {
      List<ChatSegment> segments = tok.chatTemplate().render(CHAT, false);
      ChatEncoding enc = tok.encodeChat(segments);
      assertThat(enc.ids()).isEqualTo(tok.encode(tok.chatTemplate().renderText(CHAT, false), false));
      int[] trained = java.util.stream.IntStream.range(0, enc.ids().length).filter(i -> enc.trainable()[i])
          .map(i -> enc.ids()[i]).toArray();
      assertThat(tok.decode(trained, false)).isEqualTo(" 回答です <|im_end|>");
      assertThat(enc.trainableCount()).isEqualTo(trained.length);
    }
  }
}
