package dev.kamado.server.schema;

import java.util.Arrays;

/**
 * Mutable builder of a {@link ByteNfa}: states are ints, edges are byte ranges or epsilons. Also records, for the
 * states of each free-text string, which string block and character count they belong to (see
 * {@link ByteNfa#stringBlock}), so that the decoder can share token masks between positions of a long string.
 */
final class NfaBuilder {
  private final int maxStates;
  private int stateCount;
  // byte edges: from, lo, hi, to
  private int[] edgeFrom = new int[256];
  private int[] edgeLo = new int[256];
  private int[] edgeHi = new int[256];
  private int[] edgeTo = new int[256];
  private int edgeCount;
  private int[] epsFrom = new int[256];
  private int[] epsTo = new int[256];
  private int epsCount;
  // string blocks
  private int[] blockOfState = new int[256];
  private int[] blockBase = new int[8];
  private int[] blockSubStates = new int[8];
  private int[] blockMinLength = new int[8];
  private int[] blockMaxLength = new int[8];
  private int blockCount;

  NfaBuilder(int maxStates) {
    this.maxStates = maxStates;
  }

  int newState() {
    if (stateCount >= maxStates) {
      throw new UnsupportedSchemaException("", "", "schema too large to compile: more than " + maxStates
          + " automaton states (lower maxItems, maxLength or the number of anyOf branches)");
    }
    if (stateCount == blockOfState.length) {
      int old = blockOfState.length;
      blockOfState = Arrays.copyOf(blockOfState, old * 2);
      Arrays.fill(blockOfState, old, blockOfState.length, -1);
    } else if (stateCount == 0) {
      Arrays.fill(blockOfState, -1);
    }
    return stateCount++;
  }

  int stateCount() {
    return stateCount;
  }

  void edge(int from, int lo, int hi, int to) {
    if (edgeCount == edgeFrom.length) {
      int n = edgeCount * 2;
      edgeFrom = Arrays.copyOf(edgeFrom, n);
      edgeLo = Arrays.copyOf(edgeLo, n);
      edgeHi = Arrays.copyOf(edgeHi, n);
      edgeTo = Arrays.copyOf(edgeTo, n);
    }
    edgeFrom[edgeCount] = from;
    edgeLo[edgeCount] = lo;
    edgeHi[edgeCount] = hi;
    edgeTo[edgeCount] = to;
    edgeCount++;
  }

  void edge(int from, int b, int to) {
    edge(from, b, b, to);
  }

  void epsilon(int from, int to) {
    if (epsCount == epsFrom.length) {
      epsFrom = Arrays.copyOf(epsFrom, epsCount * 2);
      epsTo = Arrays.copyOf(epsTo, epsCount * 2);
    }
    epsFrom[epsCount] = from;
    epsTo[epsCount] = to;
    epsCount++;
  }

  /** Adds the bytes of {@code literal} as a chain from {@code from}; returns the end state. */
  int literal(int from, byte[] literal) {
    int s = from;
    for (byte b : literal) {
      int t = newState();
      edge(s, b & 0xFF, t);
      s = t;
    }
    return s;
  }

  /**
   * Allocates a contiguous block of {@code (maxCount + 1) * subStates} states for a string whose character count runs
   * from 0 to maxCount; state {@code base + count * subStates + sub}. Returns the block's base state.
   */
  int stringBlock(int maxCount, int subStates, int minLength, int maxLength) {
    int base = stateCount;
    for (int i = 0; i < (maxCount + 1) * subStates; i++) {
      newState();
    }
    if (blockCount == blockBase.length) {
      int n = blockCount * 2;
      blockBase = Arrays.copyOf(blockBase, n);
      blockSubStates = Arrays.copyOf(blockSubStates, n);
      blockMinLength = Arrays.copyOf(blockMinLength, n);
      blockMaxLength = Arrays.copyOf(blockMaxLength, n);
    }
    blockBase[blockCount] = base;
    blockSubStates[blockCount] = subStates;
    blockMinLength[blockCount] = minLength;
    blockMaxLength[blockCount] = maxLength;
    for (int s = base; s < stateCount; s++) {
      blockOfState[s] = blockCount;
    }
    blockCount++;
    return base;
  }

  ByteNfa build(int start, int accept) {
    int n = stateCount;
    int[] edgeStart = new int[n + 1];
    for (int i = 0; i < edgeCount; i++) {
      edgeStart[edgeFrom[i] + 1]++;
    }
    for (int i = 0; i < n; i++) {
      edgeStart[i + 1] += edgeStart[i];
    }
    int[] fill = Arrays.copyOf(edgeStart, n);
    int[] lo = new int[edgeCount];
    int[] hi = new int[edgeCount];
    int[] to = new int[edgeCount];
    for (int i = 0; i < edgeCount; i++) {
      int k = fill[edgeFrom[i]]++;
      lo[k] = edgeLo[i];
      hi[k] = edgeHi[i];
      to[k] = edgeTo[i];
    }
    int[] epsStart = new int[n + 1];
    for (int i = 0; i < epsCount; i++) {
      epsStart[epsFrom[i] + 1]++;
    }
    for (int i = 0; i < n; i++) {
      epsStart[i + 1] += epsStart[i];
    }
    int[] efill = Arrays.copyOf(epsStart, n);
    int[] eto = new int[epsCount];
    for (int i = 0; i < epsCount; i++) {
      eto[efill[epsFrom[i]]++] = epsTo[i];
    }
    return new ByteNfa(n, start, accept, edgeStart, lo, hi, to, epsStart, eto,
        Arrays.copyOf(blockOfState, n), Arrays.copyOf(blockBase, blockCount),
        Arrays.copyOf(blockSubStates, blockCount), Arrays.copyOf(blockMinLength, blockCount),
        Arrays.copyOf(blockMaxLength, blockCount));
  }
}
