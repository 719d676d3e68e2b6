package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java tokenization and chat rendering equal Python {@code tokenizers} / {@code transformers} (the reference venv,
 * see hack/reference/README.md) for: a tokenizer trained by {@link BpeTrainer}, the tokenizers of the tiny Llama and
 * Qwen2 models that hack/reference/make_tiny_model.py makes, and the hand-made sentencepiece tokenizers of
 * {@link SentencePieceFixture} (legacy byte-fallback layout and Metaspace layout); and for the chat templates of Qwen2, Llama 3 and Mistral.
 */
class TokenizerReferenceIT {

  static final ObjectMapper JSON = new ObjectMapper();

  static final List<String> TEXTS = List.of(
      "Hello, world! How are you today?",
      "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。",
      "東京都渋谷区のオフィスで、明日の会議について問い合わせがありました。",
      "ラーメンとコーヒー、カタカナとEnglish単語が混ざります。",
      "Emoji: 😀🎉👍🏽 🇯🇵 and ZWJ 👩‍👩‍👧",
      "{\"category\": \"請求\", \"urgency\": \"high\", \"due\": \"2026-12-01\", \"items\": [1, 22, 333, 4444]}",
      "  two  spaces\tand tabs\n\nand\r\nwindows lines  ",
      "I'm sure they'll say it's fine; we've done what we'd planned.",
      "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３ and ｶﾀｶﾅ",
      "Cafe\u0301 na\u0308ive (NFD) — “quotes” …",
      "<|im_start|>user\nこんにちは<|im_end|>\n<|begin_of_text|>[INST] hi [/INST]</s>",
      "가나다 Русский Ελληνικά العربية",
      "",
      " ",
      "def add(a, b):\n    return a + b\n");

  static final List<List<ChatMessage>> CHATS = List.of(
      List.of(ChatMessage.user("こんにちは")),
      List.of(ChatMessage.system("Be brief."), ChatMessage.user(" hi "), ChatMessage.assistant("Hello!\n")),
      List.of(ChatMessage.user("請求書が届いていません。"),
          ChatMessage.assistant("{\"category\": \"billing\", \"urgency\": 2}"), ChatMessage.user("thanks 😀")),
      List.of(ChatMessage.assistant("I speak first")),
      List.of());

  /** Extra templates by name; the name's part before '-' is the expected family. */
  static final Map<String, String> TEMPLATES = Map.of(
      "chatml-qwen2", ChatTemplatesTest.QWEN2,
      "chatml-qwen25", ChatTemplatesTest.QWEN25,
      "llama3-meta", ChatTemplatesTest.LLAMA3,
      "mistral-v01", SentencePieceFixture.MISTRAL_TEMPLATE);

  @TempDir
  static Path dir;
  static Path repoRoot;
  static Path python;
  static JsonNode answer;
  static Map<String, Path> models = new LinkedHashMap<>();

  @BeforeAll
  static void runReference() throws Exception {
    python = referencePython();
    repoRoot = repoRoot();
    Path bpe = dir.resolve("bpe");
    BpeTrainer trainer = new BpeTrainer(8000);
    SyntheticCorpus.lines(1, 1_000_000).forEach(trainer::add);
    TestCorpus.SAMPLES.forEach(trainer::add);
    trainer.train().save(bpe);
    models.put("bpe", bpe);
    for (String arch : List.of("llama", "qwen2")) {
      Path out = dir.resolve("tiny-" + arch);
      run(List.of(python.toString(), repoRoot.resolve("hack/reference/make_tiny_model.py").toString(),
          "--arch", arch, "--out", out.toString(), "--seed", "0"));
      models.put(arch, out);
    }
    models.put("sentencepiece", SentencePieceFixture.write(dir.resolve("sentencepiece")));
    models.put("metaspace", SentencePieceFixture.write(dir.resolve("metaspace"), true));

    ObjectNode request = JSON.createObjectNode();
    ArrayNode modelList = request.putArray("models");
    Map<String, List<String>> templates = Map.of(
        "bpe", List.of("chatml-qwen2", "chatml-qwen25"),
        "llama", List.of("llama3-meta"),
        "qwen2", List.of("chatml-qwen2", "chatml-qwen25"),
        "sentencepiece", List.of("mistral-v01"),
        "metaspace", List.of("mistral-v01"));
    for (Map.Entry<String, Path> m : models.entrySet()) {
      ObjectNode entry = modelList.addObject();
      entry.put("dir", m.getValue().toString());
      ObjectNode t = entry.putObject("templates");
      templates.get(m.getKey()).forEach(name -> t.put(name, TEMPLATES.get(name)));
    }
    ArrayNode texts = request.putArray("texts");
    TEXTS.forEach(texts::add);
    ArrayNode chats = request.putArray("chats");
    for (List<ChatMessage> chat : CHATS) {
      ArrayNode c = chats.addArray();
      for (ChatMessage m : chat) {
        c.addObject().put("role", m.role()).put("content", m.content());
      }
    }
    Path requestFile = dir.resolve("request.json");
    Files.writeString(requestFile, JSON.writeValueAsString(request), StandardCharsets.UTF_8);
    String out = run(List.of(python.toString(), repoRoot.resolve("hack/reference/tokenizer_reference.py").toString(),
        requestFile.toString()));
    answer = JSON.readTree(out);
  }

  static Path referencePython() {
    String prop = System.getProperty("kamado.reference.python");
    Path p = prop != null && !prop.isBlank() ? Path.of(prop)
        : Path.of(System.getProperty("user.home"), ".cache", "kamado", "reference-venv", "bin", "python");
    if (!Files.isExecutable(p)) {
      fail("Python reference venv not found at " + p + ": run hack/reference/setup-venv.sh (or set the system "
          + "property kamado.reference.python to its python)");
    }
    return p;
  }

  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("hack/reference/tokenizer_reference.py"))) {
        return p;
      }
    }
    throw new IllegalStateException("hack/reference/tokenizer_reference.py not found above " + Path.of("")
        .toAbsolutePath());
  }

  static String run(List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("kamado-reference-stderr", ".txt");
    try {
      return runLogging(command, log);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static String runLogging(List<String> command, Path log) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    if (p.exitValue() != 0) {
      fail(command + " exited with " + p.exitValue() + ":\n" + Files.readString(log));
    }
    return out;
  }

  static JsonNode answerFor(String model) {
    for (JsonNode m : answer.get("models")) {
      if (m.get("dir").asText().equals(models.get(model).toString())) {
        return m;
      }
    }
    throw new AssertionError("no answer for " + model);
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  @Test
  void encodeAndDecodeEqualPython() throws Exception {
    for (String model : models.keySet()) {
      JsonNode a = answerFor(model);
      try (TextTokenizer tok = TextTokenizer.load(models.get(model))) {
        assertThat(tok.vocabSize()).as(model).isEqualTo(a.get("vocab_size").asInt());
        for (int i = 0; i < TEXTS.size(); i++) {
          String text = TEXTS.get(i);
          String what = model + " text " + i + " " + text;
          int[] plain = tok.encode(text, false);
          int[] special = tok.encode(text, true);
          assertThat(plain).as(what).containsExactly(ints(a.get("encode").get(i)));
          assertThat(special).as(what + " (special tokens)").containsExactly(ints(a.get("encode_special").get(i)));
          assertThat(tok.decode(special, false)).as(what + " decode").isEqualTo(a.get("decode").get(i).asText());
          IncrementalDecoderTest.assertStreamsLikeOneShot(tok, special, false);
          IncrementalDecoderTest.assertStreamsLikeOneShot(tok, special, true);
        }
      }
    }
  }

  @Test
  void trainedTokenizerSplitsTextLikeItsTokenizerJson() {
    JsonNode a = answerFor("bpe");
    for (int i = 0; i < TEXTS.size(); i++) {
      List<String> pieces = new ArrayList<>();
      Matcher m = PreTokenizerRegex.JAVA.matcher(Normalizer.normalize(TEXTS.get(i), Normalizer.Form.NFC));
      while (m.find()) {
        pieces.add(ByteLevelAlphabet.encode(m.group().getBytes(StandardCharsets.UTF_8)));
      }
      List<String> expected = new ArrayList<>();
      a.get("pre_tokenize").get(i).forEach(n -> expected.add(n.asText()));
      assertThat(pieces).as(TEXTS.get(i)).isEqualTo(expected);
    }
  }

  @Test
  void chatTemplatesRenderLikeTransformers() throws Exception {
    for (String model : models.keySet()) {
      JsonNode a = answerFor(model);
      try (TextTokenizer tok = TextTokenizer.load(models.get(model))) {
        assertThat(tok.chatTemplate().name()).as(model).isNotEqualTo(ChatTemplates.PLAIN);
        String bos = tok.bosId().isPresent() ? tok.token(tok.bosId().getAsInt()) : null;
        String eos = tok.eosIds().isEmpty() ? null : tok.token(tok.eosIds().iterator().next());
        checkRenders(model + " own template", tok.chatTemplate(), a.get("chat"));
        for (Map.Entry<String, JsonNode> t : iterable(a.get("template_chat"))) {
          ChatTemplate template = ChatTemplates.recognise(TEMPLATES.get(t.getKey()), bos, eos).orElseThrow();
          assertThat(template.name()).isEqualTo(t.getKey().substring(0, t.getKey().indexOf('-')));
          checkRenders(model + " " + t.getKey(), template, t.getValue());
        }
      }
    }
  }

  private static void checkRenders(String what, ChatTemplate template, JsonNode expected) {
    for (int i = 0; i < CHATS.size(); i++) {
      for (boolean gen : new boolean[] {true, false}) {
        JsonNode e = expected.get(i).get(gen ? "gen" : "nogen");
        String as = what + " chat " + i + (gen ? " with" : " without") + " generation prompt";
        List<ChatMessage> chat = CHATS.get(i);
        if (e.isNull()) {
          assertThatThrownBy(() -> template.render(chat, gen)).as(as + ": transformers raised "
              + expected.get(i).get(gen ? "gen_error" : "nogen_error")).isInstanceOf(IllegalArgumentException.class);
        } else {
          assertThat(template.renderText(chat, gen)).as(as).isEqualTo(e.asText());
        }
      }
    }
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
    return node.properties();
  }
}
