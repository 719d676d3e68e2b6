package dev.kamado.server.schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    // byte trie, nodes in depth-first order: node 0 is the root
    final int[] childStart;     // per node: first index into edgeByte/edgeChild
    final int[] childEnd;
    final byte[] edgeByte;
    final int[] edgeChild;
    final int[] nodeTokensStart; // per node: range in nodeTokens of tokens whose bytes end here
    final int[] nodeTokensEnd;
    final int[] nodeTokens;
    final int[] nodeDepth;

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
        // build a pointer trie, then flatten it
        List<Map<Byte, Integer>> children = new ArrayList<>();
        List<List<Integer>> ends = new ArrayList<>();
        children.add(new HashMap<>());
        ends.add(new ArrayList<>());
        for (int id = 0; id < size; id++) {
            byte[] bytes = tokenBytes.get(id);
            if (bytes == null || bytes.length == 0 || Arrays.binarySearch(this.eosIds, id) >= 0) {
                continue;
            }
            this.bytes[id] = bytes.clone();
            maxLen = Math.max(maxLen, bytes.length);
            if (bytes.length == 1) {
                singleByteToken[bytes[0] & 0xFF] = true;
            }
            int node = 0;
            for (byte x : bytes) {
                Integer next = children.get(node).get(x);
                if (next == null) {
                    next = children.size();
                    children.add(new HashMap<>(4));
                    ends.add(new ArrayList<>(1));
                    children.get(node).put(x, next);
                }
                node = next;
            }
            ends.get(node).add(id);
        }
        maxTokenBytes = maxLen;
        int n = children.size();
        childStart = new int[n];
        childEnd = new int[n];
        nodeTokensStart = new int[n];
        nodeTokensEnd = new int[n];
        nodeDepth = new int[n];
        edgeByte = new byte[n - 1];
        edgeChild = new int[n - 1];
        int tokenCount = 0;
        for (List<Integer> e : ends) {
            tokenCount += e.size();
        }
        nodeTokens = new int[tokenCount];
        // renumber in depth-first order so that a subtree is a contiguous range (walks touch memory in order)
        int[] order = new int[n];
        int[] newId = new int[n];
        int[] stack = new int[n];
        int sp = 0;
        int count = 0;
        stack[sp++] = 0;
        while (sp > 0) {
            int old = stack[--sp];
            newId[old] = count;
            order[count++] = old;
            Byte[] keys = children.get(old).keySet().toArray(new Byte[0]);
            Arrays.sort(keys, (a, c) -> Integer.compare(c & 0xFF, a & 0xFF)); // push descending, pop ascending
            for (Byte k : keys) {
                stack[sp++] = children.get(old).get(k);
            }
        }
        int edge = 0;
        int tok = 0;
        for (int i = 0; i < n; i++) {
            int old = order[i];
            childStart[i] = edge;
            Byte[] keys = children.get(old).keySet().toArray(new Byte[0]);
            Arrays.sort(keys, (a, c) -> Integer.compare(a & 0xFF, c & 0xFF));
            for (Byte k : keys) {
                edgeByte[edge] = k;
                int child = newId[children.get(old).get(k)];
                edgeChild[edge++] = child;
                nodeDepth[child] = nodeDepth[i] + 1;
            }
            childEnd[i] = edge;
            nodeTokensStart[i] = tok;
            for (int id : ends.get(old)) {
                nodeTokens[tok++] = id;
            }
            nodeTokensEnd[i] = tok;
        }
    }

    /** The bytes token {@code id} contributes, null for special tokens (including end-of-sequence tokens). */
    byte[] bytes(int id) {
        return bytes[id];
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

    /** Whether byte {@code b} (0-255) is a token on its own. */
    boolean singleByteToken(int b) {
        return singleByteToken[b];
    }

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
