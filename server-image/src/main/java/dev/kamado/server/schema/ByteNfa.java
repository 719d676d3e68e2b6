package dev.kamado.server.schema;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * An immutable nondeterministic automaton over UTF-8 bytes that accepts exactly the compact JSON texts Kamado may
 * generate for one schema. Byte edges are ranges {@code [lo, hi]}; epsilon edges join sub-automata. One start state,
 * one accepting state. Free-text strings are laid out as blocks (see {@link NfaBuilder#stringBlock}).
 */
final class ByteNfa {
  static final int UNREACHABLE = Integer.MAX_VALUE / 4;

  final int stateCount;
  final int start;
  final int accept;
  final int[] edgeStart;
  final int[] edgeLo;
  final int[] edgeHi;
  final int[] edgeTo;
  final int[] epsStart;
  final int[] epsTo;
  /** String block of each state, -1 outside free-text strings. */
  final int[] stringBlock;
  final int[] blockBase;
  final int[] blockSubStates;
  final int[] blockMinLength;
  /** maxLength of the block's string, -1 when unbounded. */
  final int[] blockMaxLength;

  ByteNfa(int stateCount, int start, int accept, int[] edgeStart, int[] edgeLo, int[] edgeHi, int[] edgeTo,
      int[] epsStart, int[] epsTo, int[] stringBlock, int[] blockBase, int[] blockSubStates,
      int[] blockMinLength, int[] blockMaxLength) {
    this.stateCount = stateCount;
    this.start = start;
    this.accept = accept;
    this.edgeStart = edgeStart;
    this.edgeLo = edgeLo;
    this.edgeHi = edgeHi;
    this.edgeTo = edgeTo;
    this.epsStart = epsStart;
    this.epsTo = epsTo;
    this.stringBlock = stringBlock;
    this.blockBase = blockBase;
    this.blockSubStates = blockSubStates;
    this.blockMinLength = blockMinLength;
    this.blockMaxLength = blockMaxLength;
  }

  /**
   * Shortest distance in bytes from every state to the accepting state, using only byte values for which
   * {@code usableBytes[b]} is true (the bytes the vocabulary can emit as single-byte tokens).
   * {@link #UNREACHABLE} where acceptance cannot be reached.
   */
  int[] distancesToAccept(boolean[] usableBytes) {
    // reverse adjacency
    int n = stateCount;
    int[] revCount = new int[n + 1];
    int[] revEpsCount = new int[n + 1];
    for (int s = 0; s < n; s++) {
      for (int e = edgeStart[s]; e < edgeStart[s + 1]; e++) {
        if (anyUsable(usableBytes, edgeLo[e], edgeHi[e])) {
          revCount[edgeTo[e] + 1]++;
        }
      }
      for (int e = epsStart[s]; e < epsStart[s + 1]; e++) {
        revEpsCount[epsTo[e] + 1]++;
      }
    }
    for (int i = 0; i < n; i++) {
      revCount[i + 1] += revCount[i];
      revEpsCount[i + 1] += revEpsCount[i];
    }
    int[] rev = new int[revCount[n]];
    int[] revEps = new int[revEpsCount[n]];
    int[] fill = Arrays.copyOf(revCount, n);
    int[] efill = Arrays.copyOf(revEpsCount, n);
    for (int s = 0; s < n; s++) {
      for (int e = edgeStart[s]; e < edgeStart[s + 1]; e++) {
        if (anyUsable(usableBytes, edgeLo[e], edgeHi[e])) {
          rev[fill[edgeTo[e]]++] = s;
        }
      }
      for (int e = epsStart[s]; e < epsStart[s + 1]; e++) {
        revEps[efill[epsTo[e]]++] = s;
      }
    }
    int[] dist = new int[n];
    Arrays.fill(dist, UNREACHABLE);
    ArrayDeque<Integer> deque = new ArrayDeque<>();
    dist[accept] = 0;
    deque.add(accept);
    while (!deque.isEmpty()) { // 0-1 BFS: epsilon edges cost 0, byte edges cost 1
      int s = deque.pollFirst();
      int d = dist[s];
      for (int i = revEpsCount[s]; i < revEpsCount[s + 1]; i++) {
        int p = revEps[i];
        if (dist[p] > d) {
          dist[p] = d;
          deque.addFirst(p);
        }
      }
      for (int i = revCount[s]; i < revCount[s + 1]; i++) {
        int p = rev[i];
        if (dist[p] > d + 1) {
          dist[p] = d + 1;
          deque.addLast(p);
        }
      }
    }
    return dist;
  }

  private static boolean anyUsable(boolean[] usable, int lo, int hi) {
    for (int b = lo; b <= hi; b++) {
      if (usable[b]) {
        return true;
      }
    }
    return false;
  }
}
