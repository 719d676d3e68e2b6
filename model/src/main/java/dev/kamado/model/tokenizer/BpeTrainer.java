package dev.kamado.model.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;

/**
 * Trains a byte-level BPE tokenizer on a corpus, deterministically, and writes it as Hugging Face
 * {@code tokenizer.json} + {@code tokenizer_config.json} (see {@link BpeTokenizerFiles}).
 *
 * <p>Steps: each text is NFC-normalised and split with {@link PreTokenizerRegex}; distinct pieces ("words") are
 * counted. Every word starts as its UTF-8 bytes (the 256 byte tokens are always in the vocabulary). Then the most
 * frequent adjacent pair of tokens, counted over all words weighted by word frequency, is merged into a new token,
 * until the vocabulary reaches {@code vocabSize} or no pair occurs {@code minFrequency} times. Pair counts are kept
 * incrementally: a merge only revisits the words that hold the pair. Ties between equally frequent pairs go to the
 * pair whose left token's bytes, then right token's bytes, sort first (unsigned), so the result depends only on the
 * corpus and the settings, never on hash or thread order.
 *
 * <p>Vocabulary ids: the special tokens first (default {@code <|endoftext|>} = 0, {@code <|im_start|>} = 1,
 * {@code <|im_end|>} = 2), then the 256 byte tokens in byte order, then merged tokens in merge order.
 */
public final class BpeTrainer {

  /** Special tokens of a trained tokenizer (ChatML, as Qwen2). */
  public static final List<String> DEFAULT_SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

  private final int vocabSize;
  private final int minFrequency;
  private final List<String> specialTokens;
  private final Map<String, long[]> wordCounts = new HashMap<>();

  /**
   * A trainer for a vocabulary of {@code vocabSize} tokens (special tokens and the 256 byte tokens included).
   *
   * @param minFrequency a pair must occur at least this often to be merged (at least 1)
   * @param specialTokens special tokens, given the first ids
   */
  public BpeTrainer(int vocabSize, int minFrequency, List<String> specialTokens) {
    if (vocabSize < 256 + specialTokens.size()) {
      throw new IllegalArgumentException("vocabSize " + vocabSize + " is below the 256 byte tokens plus "
          + specialTokens.size() + " special tokens");
    }
    if (minFrequency < 1) {
      throw new IllegalArgumentException("minFrequency must be at least 1, got " + minFrequency);
    }
    this.vocabSize = vocabSize;
    this.minFrequency = minFrequency;
    this.specialTokens = List.copyOf(specialTokens);
  }

  /** A trainer with {@link #DEFAULT_SPECIAL_TOKENS} and minimum pair frequency 2. */
  public BpeTrainer(int vocabSize) {
    this(vocabSize, 2, DEFAULT_SPECIAL_TOKENS);
  }

  /** Counts the words of one text. */
  public BpeTrainer add(String text) {
    String normalized = Normalizer.normalize(text, Normalizer.Form.NFC);
    Matcher m = PreTokenizerRegex.JAVA.matcher(normalized);
    while (m.find()) {
      wordCounts.computeIfAbsent(m.group(), k -> new long[1])[0]++;
    }
    return this;
  }

  /** Counts the words of a UTF-8 text file, line by line (line ends included, as in the file). */
  public BpeTrainer addFile(Path file) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        add(line + "\n");
      }
    }
    return this;
  }

  /** Number of distinct words counted so far. */
  public int distinctWords() {
    return wordCounts.size();
  }

  /** Runs the merges and returns the trained model. */
  public BpeModel train() {
    List<Map.Entry<String, long[]>> entries = new ArrayList<>(wordCounts.entrySet());
    entries.sort(Map.Entry.comparingByKey()); // fixed word order: results never depend on hash order
    int n = entries.size();
    int[][] words = new int[n][];
    int[] lengths = new int[n];
    long[] counts = new long[n];
    int base = specialTokens.size();
    for (int w = 0; w < n; w++) {
      byte[] bytes = entries.get(w).getKey().getBytes(StandardCharsets.UTF_8);
      words[w] = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        words[w][i] = base + (bytes[i] & 0xFF);
      }
      lengths[w] = bytes.length;
      counts[w] = entries.get(w).getValue()[0];
    }
    List<byte[]> tokenBytes = new ArrayList<>();
    Map<String, Integer> idOfBytes = new HashMap<>();
    for (String s : specialTokens) {
      tokenBytes.add(null);
    }
    for (int b = 0; b < 256; b++) {
      tokenBytes.add(new byte[] {(byte) b});
      idOfBytes.put(ByteLevelAlphabet.encode(new byte[] {(byte) b}), base + b);
    }
    Pairs pairs = new Pairs();
    for (int w = 0; w < n; w++) {
      for (int i = 0; i + 1 < lengths[w]; i++) {
        pairs.add(words[w][i], words[w][i + 1], counts[w], w);
      }
    }
    PriorityQueue<long[]> queue = new PriorityQueue<>((a, b) -> compare(a, b, tokenBytes));
    pairs.stats.forEach((key, stat) -> queue.add(new long[] {key, stat.count}));
    List<int[]> merges = new ArrayList<>();
    int[] visited = new int[n];
    Arrays.fill(visited, -1);
    while (tokenBytes.size() < vocabSize && !queue.isEmpty()) {
      long[] top = queue.poll();
      PairStat stat = pairs.stats.get(top[0]);
      long current = stat == null ? 0 : stat.count;
      if (current != top[1]) {
        if (current > 0) {
          queue.add(new long[] {top[0], current});
        }
        continue;
      }
      if (current < minFrequency) {
        break;
      }
      int left = (int) (top[0] >>> 32);
      int right = (int) top[0];
      byte[] merged = concat(tokenBytes.get(left), tokenBytes.get(right));
      String key = ByteLevelAlphabet.encode(merged);
      Integer existing = idOfBytes.get(key);
      int newId;
      if (existing != null) {
        newId = existing;
      } else {
        newId = tokenBytes.size();
        tokenBytes.add(merged);
        idOfBytes.put(key, newId);
      }
      merges.add(new int[] {left, right, newId});
      int mergeIndex = merges.size() - 1;
      int[] holders = stat.words.toArray();
      Map<Long, Boolean> changed = new HashMap<>();
      for (int w : holders) {
        if (visited[w] == mergeIndex) {
          continue;
        }
        visited[w] = mergeIndex;
        int[] word = words[w];
        int len = lengths[w];
        boolean has = false;
        for (int i = 0; i + 1 < len; i++) {
          if (word[i] == left && word[i + 1] == right) {
            has = true;
            break;
          }
        }
        if (!has) {
          continue;
        }
        for (int i = 0; i + 1 < len; i++) {
          pairs.remove(word[i], word[i + 1], counts[w]);
          changed.put(key(word[i], word[i + 1]), Boolean.TRUE);
        }
        int out = 0;
        for (int i = 0; i < len; i++) {
          if (i + 1 < len && word[i] == left && word[i + 1] == right) {
            word[out++] = newId;
            i++;
          } else {
            word[out++] = word[i];
          }
        }
        lengths[w] = out;
        for (int i = 0; i + 1 < out; i++) {
          boolean isNew = word[i] == newId || word[i + 1] == newId;
          pairs.add(word[i], word[i + 1], counts[w], isNew ? w : -1);
          changed.put(key(word[i], word[i + 1]), Boolean.TRUE);
        }
      }
      pairs.stats.remove(key(left, right));
      List<Long> changedKeys = new ArrayList<>(changed.keySet());
      changedKeys.sort(Long::compare);
      for (long k : changedKeys) {
        PairStat s = pairs.stats.get(k);
        if (s != null && s.count > 0 && k != key(left, right)) {
          queue.add(new long[] {k, s.count});
        }
      }
    }
    return new BpeModel(specialTokens, tokenBytes, merges);
  }

  private static int compare(long[] a, long[] b, List<byte[]> tokenBytes) {
    int c = Long.compare(b[1], a[1]);
    if (c != 0) {
      return c;
    }
    c = Arrays.compareUnsigned(tokenBytes.get((int) (a[0] >>> 32)), tokenBytes.get((int) (b[0] >>> 32)));
    if (c != 0) {
      return c;
    }
    return Arrays.compareUnsigned(tokenBytes.get((int) a[0]), tokenBytes.get((int) b[0]));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  /** Count and holder words of one pair. */
  private static final class PairStat {
    long count;
    final IntList words = new IntList();
  }

  /** Pair counts over all words. */
  private static final class Pairs {
    final Map<Long, PairStat> stats = new HashMap<>();

    void add(int left, int right, long count, int word) {
      PairStat s = stats.computeIfAbsent(key(left, right), k -> new PairStat());
      s.count += count;
      if (word >= 0 && (s.words.size == 0 || s.words.last() != word)) {
        s.words.add(word);
      }
    }

    void remove(int left, int right, long count) {
      PairStat s = stats.get(key(left, right));
      if (s != null) {
        s.count -= count;
      }
    }
  }

  /** Growable int array. */
  private static final class IntList {
    int[] data = new int[4];
    int size;

    void add(int v) {
      if (size == data.length) {
        data = Arrays.copyOf(data, size * 2);
      }
      data[size++] = v;
    }

    int last() {
      return data[size - 1];
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}
