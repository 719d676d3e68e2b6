package dev.kamado.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A Hugging Face tokenizer loaded from a model folder: encoding and decoding by the native {@code tokenizers}
 * library (through DJL, offline), plus what Kamado needs beyond it: the bytes of every token, the special token ids
 * and the chat template.
 *
 * <p>Files read from the model folder: {@code tokenizer.json} (required), {@code tokenizer_config.json} (optional:
 * {@code chat_template}, {@code bos_token}, {@code eos_token}, {@code pad_token}, {@code add_bos_token},
 * {@code add_eos_token}, {@code tokenizer_class}, {@code clean_up_tokenization_spaces}) and
 * {@code generation_config.json} (optional: more EOS ids in {@code eos_token_id}).
 *
 * <p>Special tokens on {@code encode(text, true)}: the tokenizer.json post-processor adds them, as
 * {@code transformers}' {@code PreTrainedTokenizerFast} does; for the Llama/Gemma tokenizer classes, whose
 * {@code transformers} implementation rebuilds the post-processor, BOS is added when {@code add_bos_token} is true or
 * absent and EOS when {@code add_eos_token} is true.
 *
 * <p>Instances are safe for concurrent use; {@link #close()} frees the native tokenizer.
 */
public final class TextTokenizer implements AutoCloseable {

  /** Conventional file name of the tokenizer definition. */
  public static final String TOKENIZER_JSON = "tokenizer.json";

  private static final Set<String> LLAMA_CLASSES = Set.of("LlamaTokenizer", "LlamaTokenizerFast",
      "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast");

  private final HuggingFaceTokenizer tokenizer;
  private final TokenizerJson vocab;
  private final TokenizerConfigJson config;
  private final OptionalInt bosId;
  private final Set<Integer> eosIds;
  private final int padId;
  private final boolean manualSpecials;
  private final boolean manualBos;
  private final boolean manualEos;
  private final boolean addsBos;
  private final ChatTemplate chatTemplate;
  private final List<byte[]> tokenBytesView;

  private TextTokenizer(HuggingFaceTokenizer tokenizer, TokenizerJson vocab, TokenizerConfigJson config, Path dir)
      throws TokenizerFormatException {
    this.tokenizer = tokenizer;
    this.vocab = vocab;
    this.config = config;
    Path configFile = dir.resolve(TokenizerConfigJson.FILE_NAME);
    this.bosId = config.bosToken() == null ? OptionalInt.empty() : OptionalInt.of(idOf(configFile, "bos_token",
        config.bosToken()));
    Set<Integer> eos = new LinkedHashSet<>();
    if (config.eosToken() != null) {
      eos.add(idOf(configFile, "eos_token", config.eosToken()));
    }
    for (int id : config.generationEosIds()) {
      if (id < 0 || id >= vocab.tokens.length) {
        throw new TokenizerFormatException(dir.resolve(TokenizerConfigJson.GENERATION_CONFIG),
            "eos_token_id " + id + " is outside the vocabulary (size " + vocab.tokens.length + ")");
      }
      eos.add(id);
    }
    this.eosIds = Collections.unmodifiableSet(eos);
    if (config.padToken() != null) {
      this.padId = idOf(configFile, "pad_token", config.padToken());
    } else {
      this.padId = eos.isEmpty() ? 0 : eos.iterator().next();
    }
    this.manualSpecials = config.tokenizerClass() != null && LLAMA_CLASSES.contains(config.tokenizerClass());
    this.manualBos = manualSpecials && bosId.isPresent() && !Boolean.FALSE.equals(config.addBosToken());
    this.manualEos = manualSpecials && config.eosToken() != null && Boolean.TRUE.equals(config.addEosToken());
    int[] probe = encode("a", true);
    this.addsBos = bosId.isPresent() && probe.length > 0 && probe[0] == bosId.getAsInt();
    this.chatTemplate = ChatTemplates.detect(config.chatTemplate(), config.bosToken(), config.eosToken());
    List<byte[]> view = new ArrayList<>(vocab.tokenBytes.length);
    for (byte[] b : vocab.tokenBytes) {
      view.add(b == null ? null : b.clone());
    }
    this.tokenBytesView = Collections.unmodifiableList(view);
  }

  /**
   * Loads the tokenizer of a model folder.
   *
   * @throws TokenizerFormatException when a file is missing or malformed (the message names the file and the
   *     problem)
   * @throws IOException when a file cannot be read or the native library cannot be loaded
   */
  public static TextTokenizer load(Path modelDir) throws IOException {
    Path file = modelDir.resolve(TOKENIZER_JSON);
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new TokenizerFormatException(file, "file not found (a model folder needs the Hugging Face "
          + TOKENIZER_JSON + ")", e);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new TokenizerFormatException(file, "not UTF-8 text", e);
    }
    TokenizerJson vocab = TokenizerJson.parse(file, json);
    TokenizerConfigJson config = TokenizerConfigJson.read(modelDir);
    HuggingFaceTokenizer native_ = NativeTokenizers.create(file, json);
    try {
      return new TextTokenizer(native_, vocab, config, modelDir);
    } catch (IOException | RuntimeException e) {
      native_.close();
      throw e;
    }
  }

  private int idOf(Path file, String field, String token) throws TokenizerFormatException {
    Integer id = vocab.ids.get(token);
    if (id == null) {
      throw new TokenizerFormatException(file, field + " '" + token + "' is not a token of " + TOKENIZER_JSON);
    }
    return id;
  }

  /**
   * Encodes text (no truncation, no padding).
   *
   * @param addSpecialTokens add the special tokens of the tokenizer's post-processor (e.g. BOS); chat text rendered
   *     by {@link #chatTemplate()} already holds them, so encode it with false
   */
  public int[] encode(String text, boolean addSpecialTokens) {
    boolean nativeSpecials = addSpecialTokens && !manualSpecials;
    long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, nativeSpecials);
    long[] ids;
    try {
      ids = TokenizersLibrary.LIB.getTokenIds(encoding);
    } finally {
      TokenizersLibrary.LIB.deleteEncoding(encoding);
    }
    boolean bos = addSpecialTokens && manualBos;
    boolean eos = addSpecialTokens && manualEos;
    int[] out = new int[ids.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
    int o = 0;
    if (bos) {
      out[o++] = bosId.getAsInt();
    }
    for (long id : ids) {
      out[o++] = (int) id;
    }
    if (eos) {
      out[o] = vocab.ids.get(config.eosToken());
    }
    return out;
  }

  /**
   * Decodes ids to text, as {@code transformers}' {@code decode} does (the tokenizer.json decoder; then
   * {@code clean_up_tokenization_spaces} when tokenizer_config.json asks for it).
   *
   * @throws IllegalArgumentException when an id is outside the vocabulary
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      checkId(ids[i]);
      longs[i] = ids[i];
    }
    String text = TokenizersLibrary.LIB.decode(tokenizer.getHandle(), longs, skipSpecialTokens);
    return config.cleanUpTokenizationSpaces() ? cleanUp(text) : text;
  }

  /** transformers' {@code clean_up_tokenization}. */
  private static String cleanUp(String s) {
    return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
        .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
        .replace(" 're", "'re");
  }

  /** Tokens in the tokenizer (highest id + 1); a model's embedding may have more rows than this. */
  public int vocabSize() {
    return vocab.tokens.length;
  }

  /** The BOS token id, when tokenizer_config.json names one. */
  public OptionalInt bosId() {
    return bosId;
  }

  /** Whether {@code encode(text, true)} starts with the BOS token. */
  public boolean addsBos() {
    return addsBos;
  }

  /** Ids that end generation: tokenizer_config.json's eos_token and generation_config.json's eos_token_id. */
  public Set<Integer> eosIds() {
    return eosIds;
  }

  /** The padding id: pad_token, else the first EOS id, else 0. */
  public int padId() {
    return padId;
  }

  /**
   * The exact UTF-8 bytes a token contributes to decoded text (byte-level tokens through the GPT-2 byte map;
   * sentencepiece tokens with {@code ▁} as a space and {@code <0xNN>} as one byte), or null for special tokens and
   * unused ids. A sentencepiece decoder also drops the first space of a decoded text (see
   * {@link #leadingSpacesStripped()}). Returns a copy.
   *
   * @throws IllegalArgumentException when the id is outside the vocabulary
   */
  public byte[] tokenBytes(int id) {
    checkId(id);
    byte[] b = vocab.tokenBytes[id];
    return b == null ? null : b.clone();
  }

  /** {@link #tokenBytes} of every id, in id order (read-only; null entries are special tokens or unused ids). */
  public List<byte[]> allTokenBytes() {
    return tokenBytesView;
  }

  /** Number of leading spaces the decoder removes from the start of a decoded text (1 for sentencepiece, else 0). */
  public int leadingSpacesStripped() {
    return vocab.stripLeadingSpaces;
  }

  /** Whether an id is a special token (skipped by {@code decode(ids, true)}). */
  public boolean isSpecial(int id) {
    checkId(id);
    return vocab.special[id];
  }

  /** The token string of an id as written in tokenizer.json (byte-level form for byte-level BPE), or null. */
  public String token(int id) {
    checkId(id);
    return vocab.tokens[id];
  }

  /** The id of a token string (model vocabulary or added token). */
  public OptionalInt tokenId(String token) {
    Integer id = vocab.ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /** The chat template chosen for tokenizer_config.json's {@code chat_template} (see {@link ChatTemplates}). */
  public ChatTemplate chatTemplate() {
    return chatTemplate;
  }

  /** The Jinja source of the chat template, or null when tokenizer_config.json has none. */
  public String chatTemplateSource() {
    return config.chatTemplate();
  }

  /** A new streaming decoder over this tokenizer. */
  public IncrementalDecoder newDecoder(boolean skipSpecialTokens) {
    return new IncrementalDecoder(this, skipSpecialTokens);
  }

  /**
   * Encodes rendered chat segments as one text (so the ids equal what inference sees) and marks the tokens that start
   * inside a trainable segment. Token boundaries come from {@link #tokenBytes}; special tokens count as their text.
   *
   * @throws IllegalStateException when the token bytes do not spell the text (a normalizer that changes the text)
   */
  public ChatEncoding encodeChat(List<ChatSegment> segments) {
    StringBuilder text = new StringBuilder();
    for (ChatSegment s : segments) {
      text.append(s.text());
    }
    int[] ids = encode(text.toString(), false);
    byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
    boolean[] trainable = new boolean[ids.length];
    int segment = 0;
    long segmentEnd = segments.isEmpty() ? 0 : utf8Length(segments.get(0).text());
    int offset = 0;
    for (int i = 0; i < ids.length; i++) {
      byte[] b = textBytes(ids[i]);
      int skip = 0;
      if (b.length > 0 && b[0] == ' ' && (offset >= utf8.length || utf8[offset] != ' ')) {
        skip = 1; // a space the tokenizer prepended (sentencepiece ▁ prefix): not part of the text
      }
      while (segment < segments.size() - 1 && offset >= segmentEnd) {
        segment++;
        segmentEnd += utf8Length(segments.get(segment).text());
      }
      trainable[i] = !segments.isEmpty() && segments.get(segment).trainable();
      offset += b.length - skip;
    }
    if (offset != utf8.length) {
      throw new IllegalStateException("token bytes of the encoded chat (" + offset + " bytes) do not spell its text ("
          + utf8.length + " bytes); this tokenizer changes text while encoding");
    }
    return new ChatEncoding(ids, trainable);
  }

  /** Bytes of a token in decoded text including special tokens (their text), without copying. */
  byte[] textBytes(int id) {
    byte[] b = vocab.tokenBytes[id];
    if (b != null) {
      return b;
    }
    return vocab.specialBytes(id);
  }

  byte[] rawTokenBytes(int id) {
    checkId(id);
    return vocab.tokenBytes[id];
  }

  private static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private void checkId(int id) {
    if (id < 0 || id >= vocab.tokens.length) {
      throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size " + vocab.tokens.length
          + ")");
    }
  }

  /** Frees the native tokenizer. */
  @Override
  public void close() {
    tokenizer.close();
  }
}
