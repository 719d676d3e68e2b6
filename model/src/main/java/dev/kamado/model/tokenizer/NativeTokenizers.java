package dev.kamado.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Creates DJL {@link HuggingFaceTokenizer}s from tokenizer.json text, offline.
 *
 * <p>The native library ships inside the {@code ai.djl.huggingface:tokenizers} jar (linux-x86_64 among others); DJL
 * copies it once into its engine cache folder ({@code ENGINE_CACHE_DIR}, else {@code DJL_CACHE_DIR}/tokenizers, else
 * {@code ~/.djl.ai/tokenizers}) and loads it from there. Only the from-text constructor is used, never the hub
 * lookup, and the {@code ai.djl.offline} property is set first, so that DJL's usage ping is skipped as well.
 * Truncation and padding are switched off: Kamado encodes exactly the text it is given.
 */
final class NativeTokenizers {

  private static final Map<String, String> OPTIONS = Map.of(
      "addSpecialTokens", "false",
      "withOverflowingTokens", "false",
      "truncation", "false",
      "padding", "false",
      "doLowerCase", "false");

  private NativeTokenizers() {
  }

  static synchronized HuggingFaceTokenizer create(Path file, String json) throws IOException {
    String envOffline = System.getenv("DJL_OFFLINE");
    if (envOffline != null && !Boolean.parseBoolean(envOffline)) {
      throw new IllegalStateException("environment variable DJL_OFFLINE=" + envOffline
          + " would let DJL reach the network; unset it");
    }
    System.setProperty("ai.djl.offline", "true");
    try {
      return HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), OPTIONS);
    } catch (ai.djl.engine.EngineException e) {
      throw new IOException("cannot load the Hugging Face tokenizers native library bundled in "
          + "ai.djl.huggingface:tokenizers (is this platform linux-x86_64 and the DJL cache folder writable?): "
          + rootMessage(e), e);
    } catch (RuntimeException e) {
      throw new TokenizerFormatException(file, "the tokenizers library rejected it: " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + t;
  }
}
