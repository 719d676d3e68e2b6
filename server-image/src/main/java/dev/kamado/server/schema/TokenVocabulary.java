package dev.kamado.server.schema;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The byte strings of a tokenizer's tokens, as a byte trie built once per tokenizer. Token {@code i} contributes
 * {@code tokenBytes.get(i)} to the UTF-8 output; null entries are special tokens (never allowed by a constraint,
 * except those in {@code eosIds}, which are allowed exactly when the JSON is complete). Immutable and thread-safe.
 */
public final class TokenVocabulary {
  private final int size;
  private final byte[][] bytes;
  private final int[] eosIds;
  private final boolean[] singleByteToken;
  private final int maxTokenBytes;
  private final StringScan[] stringScans = new StringScan[StringSyntax.SUBSTATES];
  // byte trie, nodes in depth-first order: node 0 is the root
  final int[] childStart;     // per node: first index into edgeByte/edgeChild
  final int[] childEnd;
  final byte[] edgeByte;
  final int[] edgeChild;
  final int[] nodeTokensStart; // per node: range in nodeTokens of tokens whose bytes end here
  final int[] nodeTokensEnd;
  final int[] nodeTokens;

  /**
   * @param tokenBytes the UTF-8 bytes of each token id (null = special token)
   * @param eosIds     token ids that end generation
   */
  public TokenVocabulary(List<byte[]> tokenBytes, Set<Integer> eosIds) {
    this.size = tokenBytes.size();
    this.bytes = new byte[size][];
    this.eosIds = eosIds.stream().mapToInt(Integer::intValue).filter(i -> i >= 0 && i < size).sorted().toArray();
    if (this.eosIds.length == 0) {
      throw new IllegalArgumentException("the vocabulary needs at least one end-of-sequence token id in range");
    }
    singleByteToken = new boolean[256];
    int maxLen = 0;
    int count = 0;
    Integer[] order = new Integer[size];
    for (int id = 0; id < size; id++) {
      byte[] b = tokenBytes.get(id);
      if (b == null || b.length == 0 || Arrays.binarySearch(this.eosIds, id) >= 0) {
        continue;
      }
      bytes[id] = b.clone();
      maxLen = Math.max(maxLen, b.length);
      if (b.length == 1) {
        singleByteToken[b[0] & 0xFF] = true;
      }
      order[count++] = id;
    }
    maxTokenBytes = maxLen;
    // Sorted by unsigned bytes, tokens list the trie in depth-first order with children by ascending byte: each
    // token adds the nodes below its longest common prefix with the previous one.
    Arrays.sort(order, 0, count, (a, c) -> Arrays.compareUnsigned(bytes[a], bytes[c]));
    int capacity = 1;
    for (int i = 0; i < count; i++) {
      capacity += bytes[order[i]].length;
    }
    int[] parent = new int[capacity];
    byte[] label = new byte[capacity];
    int[] tokStart = new int[capacity];
    int[] tokEnd = new int[capacity];
    int[] path = new int[maxLen + 1];
    nodeTokens = new int[count];
    int nodes = 1;
    byte[] previous = new byte[0];
    for (int i = 0; i < count; i++) {
      byte[] b = bytes[order[i]];
      int lcp = 0;
      int limit = Math.min(previous.length, b.length);
      while (lcp < limit && previous[lcp] == b[lcp]) {
        lcp++;
      }
      for (int k = lcp; k < b.length; k++) {
        int node = nodes++;
        parent[node] = path[k];
        label[node] = b[k];
        path[k + 1] = node;
      }
      int terminal = path[b.length];
      if (tokEnd[terminal] != i) { // first token ending here (tokens ending at one node are adjacent)
        tokStart[terminal] = i;
      }
      nodeTokens[i] = order[i];
      tokEnd[terminal] = i + 1;
      previous = b;
    }
    childStart = new int[nodes];
    childEnd = new int[nodes];
    nodeTokensStart = Arrays.copyOf(tokStart, nodes);
    nodeTokensEnd = Arrays.copyOf(tokEnd, nodes);
    // edges grouped by parent; a parent's children were created in ascending byte order
    int[] childCount = new int[nodes + 1];
    for (int n = 1; n < nodes; n++) {
      childCount[parent[n] + 1]++;
    }
    for (int n = 0; n < nodes; n++) {
      childCount[n + 1] += childCount[n];
    }
    edgeByte = new byte[Math.max(0, nodes - 1)];
    edgeChild = new int[Math.max(0, nodes - 1)];
    for (int n = 0; n < nodes; n++) {
      childStart[n] = childCount[n];
      childEnd[n] = childCount[n];
    }
    for (int n = 1; n < nodes; n++) {
      int e = childEnd[parent[n]]++;
      edgeByte[e] = label[n];
      edgeChild[e] = n;
    }
  }

  /** The bytes token {@code id} contributes, null for special tokens (including end-of-sequence tokens). */
  byte[] bytes(int id) {
    return bytes[id];
  }

  /**
   * How every token reads inside a JSON string, starting in string sub-state {@code sub} (see {@link StringSyntax}):
   * {@code end[t]} is the sub-state after the token, {@link StringSyntax#DEAD} if it cannot appear there (or is
   * special) or {@link StringSyntax#CLOSE} if it contains the closing quote; {@code chars[t]} the characters it starts
   * before its end or the closing quote (saturated at 255). Computed once per sub-state, then shared.
   */
  StringScan stringScan(int sub) {
    StringScan scan = stringScans[sub];
    if (scan == null) {
      synchronized (stringScans) {
        scan = stringScans[sub];
        if (scan == null) {
          scan = scan(sub);
          stringScans[sub] = scan;
        }
      }
    }
    return scan;
  }

  /**
   * See {@link #stringScan}; {@code closeTokens} lists the tokens that close the string, {@code closeAt} the index of
   * the byte after their closing quote.
   */
  record StringScan(byte[] end, byte[] chars, int[] closeTokens, int[] closeAt) {
  }

  private StringScan scan(int sub) {
    byte[] end = new byte[size];
    byte[] chars = new byte[size];
    int[] closeTokens = new int[64];
    int[] closeAt = new int[64];
    int closes = 0;
    for (int t = 0; t < size; t++) {
      byte[] b = bytes[t];
      int state = StringSyntax.DEAD;
      int count = 0;
      int i = 0;
      if (b != null) {
        state = sub;
        while (i < b.length && state >= 0) {
          int r = StringSyntax.step(state, b[i++] & 0xFF);
          if (r >= 0 && (r & StringSyntax.STARTS_CHAR) != 0) {
            count++;
          }
          state = r < 0 ? r : r & 0xFF;
        }
      }
      end[t] = (byte) state;
      chars[t] = (byte) Math.min(255, count);
      if (state == StringSyntax.CLOSE) {
        if (closes == closeTokens.length) {
          closeTokens = Arrays.copyOf(closeTokens, closes * 2);
          closeAt = Arrays.copyOf(closeAt, closes * 2);
        }
        closeTokens[closes] = t;
        closeAt[closes++] = i;
      }
    }
    return new StringScan(end, chars, Arrays.copyOf(closeTokens, closes), Arrays.copyOf(closeAt, closes));
  }

  /** Number of token ids (the length of a mask in bits). */
  public int size() {
    return size;
  }

  /** Number of longs a mask over this vocabulary needs. */
  public int maskWords() {
    return (size + 63) >>> 6;
  }

  /** End-of-sequence token ids, sorted. */
  public int[] eosIds() {
    return eosIds.clone();
  }

  int[] eosIdsShared() {
    return eosIds;
  }

  /** Which bytes (0-255) are tokens on their own. */
  boolean[] singleByteTokens() {
    return singleByteToken.clone();
  }

  /** Length in bytes of the longest token. */
  public int maxTokenBytes() {
    return maxTokenBytes;
  }

  /** Number of trie nodes (about the total bytes of all tokens, less shared prefixes). */
  public int trieNodes() {
    return childStart.length;
  }
}
