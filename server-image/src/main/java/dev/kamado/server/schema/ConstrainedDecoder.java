package dev.kamado.server.schema;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token-level constraint for one (schema, vocabulary) pair: which tokens may come next so that the output stays a
 * prefix of a compact JSON text valid for the schema, and can still be completed within the token budget.
 *
 * <p>Internally a lazily built deterministic automaton over bytes (subsets of the schema's NFA states, interned), with
 * per state: the 256 byte transitions, the shortest completion in bytes, and a token mask computed once, by walking
 * the vocabulary's byte trie, or inside a string from the vocabulary's per-sub-state string scan (no walk). Positions
 * of a length-bounded string past minLength share or derive the mask of the position at minLength. Everything is
 * cached, so after warm-up a mask costs a copy of {@code vocab/64} longs. See SCHEMA.md.
 *
 * <p>Termination: {@link #minTokensToComplete(State)} is the length in bytes of the shortest completion spelled with
 * single-byte tokens, an upper bound on the tokens needed. {@link #allowedTokens} only allows a token after which
 * that bound is at most {@code remainingTokens - 1}, so a generation that starts with {@code maxTokens >=
 * minTokensToComplete(start())} always ends with complete JSON when the budget runs out, or earlier with an EOS
 * token. Thread-safe: states and masks are created under a lock and published through final fields.
 */
public final class ConstrainedDecoder {

  /** A position in the constrained output. Immutable; compare with {@code ==} or {@code equals}. */
  public interface State {
  }

  private static final int MAX_DECODERS = 32;
  private static final Map<Key, ConstrainedDecoder> DECODERS = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, ConstrainedDecoder> eldest) {
      return size() > MAX_DECODERS;
    }
  };

  private record Key(CompiledSchema schema, TokenVocabulary vocab) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.schema == schema && k.vocab == vocab;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(schema) * 31 + System.identityHashCode(vocab);
    }
  }

  private final CompiledSchema schema;
  private final TokenVocabulary vocab;
  private final ByteNfa nfa;
  private final int[] nfaDist;
  private final int[] eos;
  private final int words;
  private final Map<MemberSet, DfaState> states = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean warmupClaimed = new java.util.concurrent.atomic.AtomicBoolean();
  private final DfaState dead;
  private final DfaState start;
  private final TrieWalker walker;
  // scratch for subset construction, used under the lock
  private int[] mark;
  private int stamp;
  private int[] work = new int[64];
  /** Per string block and sub-state: completion costs of the tokens that close the string; used under the lock. */
  private final Map<Integer, int[]> closeDist = new java.util.HashMap<>();
  private int trieWalks;
  private int stringMasks;
  private int sharedStringMasks;
  /** Per string sub-state: reach of its tokens (see {@link #reach}); used under the lock. */
  private final Map<Integer, int[]> reaches = new java.util.HashMap<>();
  /** Per string block and sub-state: the first in-string mask computed where it can be shared; under the lock. */
  private final Map<Long, Template> templates = new java.util.HashMap<>();

  /** An in-string mask and the character count of its position, which later positions shift from. */
  private record Template(int count, StateMask mask) {
  }

  private ConstrainedDecoder(CompiledSchema schema, TokenVocabulary vocab) {
    this.schema = schema;
    this.vocab = vocab;
    this.nfa = schema.nfa();
    this.nfaDist = nfa.distancesToAccept(vocab.singleByteTokens());
    this.eos = vocab.eosIdsShared();
    this.words = vocab.maskWords();
    this.mark = new int[nfa.stateCount];
    this.dead = new DfaState(new int[0], ByteNfa.UNREACHABLE, false, -1, -1, null, -1);
    Arrays.fill(dead.next, dead);
    this.walker = new TrieWalker(vocab);
    synchronized (this) {
      this.start = closureState(new int[] {nfa.start}, 1);
    }
    if (start.dist >= ByteNfa.UNREACHABLE) {
      throw new UnsupportedSchemaException("", "", "the tokenizer's single-byte tokens cannot spell any JSON text "
          + "this schema accepts");
    }
  }

  /** The decoder for this pair, created once and cached (the cache keeps the 32 most recently used pairs). */
  public static ConstrainedDecoder of(CompiledSchema schema, TokenVocabulary vocab) {
    Key key = new Key(schema, vocab);
    synchronized (DECODERS) {
      ConstrainedDecoder d = DECODERS.get(key);
      if (d != null) {
        return d;
      }
    }
    ConstrainedDecoder created = new ConstrainedDecoder(schema, vocab);
    synchronized (DECODERS) {
      return DECODERS.computeIfAbsent(key, k -> created);
    }
  }

  /** The schema this decoder constrains to. */
  public CompiledSchema schema() {
    return schema;
  }

  /** The vocabulary this decoder masks. */
  public TokenVocabulary vocabulary() {
    return vocab;
  }

  /** The state before any output. */
  public State start() {
    return start;
  }

  /**
   * Upper bound on the tokens needed to complete valid JSON from {@code s} (0 when complete). A request whose
   * {@code max_tokens} is below {@code minTokensToComplete(start())} cannot be served and should get a 400.
   */
  public int minTokensToComplete(State s) {
    return ((DfaState) s).dist;
  }

  /** Whether the output so far is a complete JSON text valid for the schema (EOS allowed). */
  public boolean isComplete(State s) {
    return ((DfaState) s).accepting;
  }

  /**
   * Writes into {@code maskOut} (at least {@code vocab.maskWords()} longs; bit {@code t} of word {@code t >>> 6})
   * the tokens allowed next: tokens that keep the output a valid prefix and leave a completion of at most
   * {@code remainingTokens - 1} tokens, plus the EOS tokens when the output is complete. {@code remainingTokens}
   * counts the token being chosen now.
   */
  public void allowedTokens(State s, int remainingTokens, long[] maskOut) {
    DfaState st = (DfaState) s;
    applyMask(maskOf(st), st.accepting, remainingTokens - 1, maskOut);
  }

  private void applyMask(StateMask m, boolean accepting, int limit, long[] maskOut) {
    if (limit >= 0) {
      limit += m.shift; // the costs are those of the template position (see StateMask.shift)
    }
    if (limit < 0 || m.count == 0) {
      Arrays.fill(maskOut, 0, words, 0L);
    } else if (m.dense != null && limit >= m.maxDist) {
      System.arraycopy(m.dense, 0, maskOut, 0, words);
    } else if (m.dense != null && limit >= m.bulkDist) {
      System.arraycopy(m.dense, 0, maskOut, 0, words);
      int[] toks = m.explicitTokens;
      int[] dists = m.explicitDists;
      for (int i = 0; i < toks.length && dists[i] > limit; i++) {
        maskOut[toks[i] >>> 6] &= ~(1L << toks[i]);
      }
    } else {
      Arrays.fill(maskOut, 0, words, 0L);
      int[] toks = m.explicitTokens;
      for (int i = m.firstAtMost(limit); i < toks.length; i++) {
        maskOut[toks[i] >>> 6] |= 1L << toks[i];
      }
    }
    if (accepting) {
      for (int e : eos) {
        maskOut[e >>> 6] |= 1L << e;
      }
    }
  }

  /**
   * The same mask as {@link #allowedTokens}, computed from scratch with a full vocabulary-trie walk and no mask
   * cache: the naive baseline of the benchmark, and an oracle for tests of the cache.
   */
  public void allowedTokensUncached(State s, int remainingTokens, long[] maskOut) {
    DfaState st = (DfaState) s;
    StateMask m;
    synchronized (this) {
      m = walker.walk(this, st);
    }
    applyMask(m, st.accepting, remainingTokens - 1, maskOut);
  }

  /** Convenience for tests and callers that need one token: whether {@code token} is in the mask. */
  public boolean isAllowed(State s, int remainingTokens, int token) {
    long[] mask = new long[words];
    allowedTokens(s, remainingTokens, mask);
    return (mask[token >>> 6] & (1L << token)) != 0;
  }

  /**
   * The state after {@code token}. An EOS token leaves a complete state unchanged.
   *
   * @throws IllegalArgumentException if the token cannot follow (it would not have been in the mask)
   */
  public State advance(State s, int token) {
    DfaState st = (DfaState) s;
    byte[] bytes = vocab.bytes(token);
    if (bytes == null) {
      if (st.accepting && Arrays.binarySearch(eos, token) >= 0) {
        return st;
      }
      throw new IllegalArgumentException("token " + token + " is a special token that cannot follow here");
    }
    for (byte x : bytes) {
      st = step(st, x & 0xFF);
    }
    if (st.dist >= ByteNfa.UNREACHABLE) {
      throw new IllegalArgumentException("token " + token + " cannot follow: the output would leave the schema");
    }
    return st;
  }

  /**
   * Whether this call is the first to claim this decoder's request-path warm-up (see
   * {@code ResponseConstraints.forRequest}): true exactly once per decoder.
   */
  public boolean claimWarmup() {
    return warmupClaimed.compareAndSet(false, true);
  }

  /** Number of automaton states built so far (for tests and metrics). */
  public int statesBuilt() {
    return states.size();
  }

  /** Number of vocabulary-trie walks done so far, each computing the mask of one state (for tests and metrics). */
  public synchronized int trieWalks() {
    return trieWalks;
  }

  /** Number of masks computed inside strings from the vocabulary's string scan, without a trie walk. */
  public synchronized int stringMasks() {
    return stringMasks;
  }

  /** Number of in-string masks taken from another position's by shifting the costs (no pass over the vocabulary). */
  public synchronized int sharedStringMasks() {
    return sharedStringMasks;
  }

  /**
   * Fills the caches by {@code generations} random generations of up to {@code budget} tokens, each token drawn
   * uniformly from the allowed ones (seeded, so deterministic). A server calls this for its default schema before it
   * reports ready, so that first requests do not pay for computing masks.
   */
  public void prewarm(int generations, int budget, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    long[] mask = new long[words];
    int[] allowed = new int[vocab.size()];
    for (int g = 0; g < generations; g++) {
      State s = start;
      for (int remaining = Math.max(budget, start.dist); remaining > 0; remaining--) {
        allowedTokens(s, remaining, mask);
        int n = 0;
        for (int w = 0; w < words; w++) {
          for (long bits = mask[w]; bits != 0; bits &= bits - 1) {
            allowed[n++] = (w << 6) + Long.numberOfTrailingZeros(bits);
          }
        }
        int token = allowed[random.nextInt(n)];
        if (vocab.bytes(token) == null) {
          break;
        }
        s = advance(s, token);
      }
    }
  }

  // ------------------------------------------------------------------ automaton

  /** Interned set of NFA states. */
  private record MemberSet(int[] members, int hash) {
    MemberSet(int[] members) {
      this(members, Arrays.hashCode(members));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof MemberSet m && m.hash == hash && Arrays.equals(m.members, members);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** A deterministic state: the set of NFA states the output so far may be in. */
  static final class DfaState implements State {
    final int[] members;
    final int dist;
    final boolean accepting;
    final DfaState[] next = new DfaState[256];
    /** String block all members lie in, at character count {@link #stringCount}; -1 when not inside one string. */
    final int stringBlock;
    final int stringCount;
    /**
     * The state whose mask this one derives from: itself, or, inside a length-bounded string past minLength, the same
     * position at minLength (same tokens and costs, less the tokens writing more than {@link #charsLeft} characters).
     */
    final DfaState maskSource;
    /** Characters the string may still start (maxLength minus count) when maskSource is another state, else -1. */
    final int charsLeft;
    volatile StateMask mask;

    DfaState(int[] members, int dist, boolean accepting, int stringBlock, int stringCount, DfaState maskSource,
        int charsLeft) {
      this.members = members;
      this.dist = dist;
      this.accepting = accepting;
      this.stringBlock = stringBlock;
      this.stringCount = stringCount;
      this.maskSource = maskSource == null ? this : maskSource;
      this.charsLeft = charsLeft;
    }

    @Override
    public String toString() {
      return "State" + Arrays.toString(members.length > 8 ? Arrays.copyOf(members, 8) : members)
          + (accepting ? " complete" : " needs " + dist);
    }
  }

  DfaState step(DfaState s, int b) {
    DfaState t = s.next[b];
    if (t == null) {
      synchronized (this) {
        t = s.next[b];
        if (t == null) {
          t = computeStep(s, b);
          s.next[b] = t;
        }
      }
    }
    return t;
  }

  private DfaState computeStep(DfaState s, int b) {
    int n = 0;
    for (int m : s.members) {
      for (int e = nfa.edgeStart[m]; e < nfa.edgeStart[m + 1]; e++) {
        if (nfa.edgeLo[e] <= b && b <= nfa.edgeHi[e]) {
          if (n == work.length) {
            work = Arrays.copyOf(work, n * 2);
          }
          work[n++] = nfa.edgeTo[e];
        }
      }
    }
    if (n == 0) {
      return dead;
    }
    return closureState(Arrays.copyOf(work, n), n);
  }

  /** Epsilon closure of {@code seeds[0..n)}, without members that cannot reach acceptance, interned. */
  private DfaState closureState(int[] seeds, int n) {
    stamp++;
    int[] stack = new int[Math.max(16, n)];
    int sp = 0;
    int[] out = new int[16];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (mark[seeds[i]] != stamp) {
        mark[seeds[i]] = stamp;
        stack[sp++] = seeds[i];
      }
    }
    while (sp > 0) {
      int q = stack[--sp];
      if (nfaDist[q] < ByteNfa.UNREACHABLE) {
        if (count == out.length) {
          out = Arrays.copyOf(out, count * 2);
        }
        out[count++] = q;
      }
      for (int e = nfa.epsStart[q]; e < nfa.epsStart[q + 1]; e++) {
        int t = nfa.epsTo[e];
        if (mark[t] != stamp) {
          mark[t] = stamp;
          if (sp == stack.length) {
            stack = Arrays.copyOf(stack, sp * 2);
          }
          stack[sp++] = t;
        }
      }
    }
    if (count == 0) {
      return dead;
    }
    int[] members = Arrays.copyOf(out, count);
    Arrays.sort(members);
    return intern(members);
  }

  private DfaState intern(int[] members) {
    MemberSet key = new MemberSet(members);
    DfaState known = states.get(key);
    if (known != null) {
      return known;
    }
    int dist = ByteNfa.UNREACHABLE;
    boolean accepting = false;
    for (int m : members) {
      dist = Math.min(dist, nfaDist[m]);
      accepting |= m == nfa.accept;
    }
    int block = singleStringBlock(members);
    int count = block < 0 ? -1 : (members[0] - nfa.blockBase[block]) / nfa.blockSubStates[block];
    DfaState source = null;
    int charsLeft = -1;
    if (block >= 0 && nfa.blockMaxLength[block] >= 0 && count > nfa.blockMinLength[block]) {
      int[] shifted = new int[members.length];
      int shift = (count - nfa.blockMinLength[block]) * nfa.blockSubStates[block];
      for (int i = 0; i < members.length; i++) {
        shifted[i] = members[i] - shift;
      }
      source = intern(shifted);
      charsLeft = nfa.blockMaxLength[block] - count;
    }
    DfaState created = new DfaState(members, dist, accepting, block, count, source, charsLeft);
    states.put(key, created);
    return created;
  }

  /** The string block holding every member at one character count, or -1. */
  private int singleStringBlock(int[] members) {
    int block = nfa.stringBlock[members[0]];
    if (block < 0) {
      return -1;
    }
    int sub = nfa.blockSubStates[block];
    int base = nfa.blockBase[block];
    int count = (members[0] - base) / sub;
    for (int m : members) {
      if (nfa.stringBlock[m] != block || (m - base) / sub != count) {
        return -1;
      }
    }
    return block;
  }

  /** The state after all bytes of {@code bytes} from index {@code from}, or the dead state. */
  DfaState stepAll(DfaState s, byte[] bytes, int from) {
    for (int i = from; i < bytes.length && s.dist < ByteNfa.UNREACHABLE; i++) {
      s = step(s, bytes[i] & 0xFF);
    }
    return s;
  }

  /**
   * For the tokens that close a string of {@code block} when read from sub-state {@code sub}: the completion cost
   * after each (what follows the closing quote does not depend on the position in the string). Cached per block and
   * sub-state; called under the lock.
   */
  int[] closeDistances(int block, int sub, TokenVocabulary.StringScan scan) {
    int key = block * nfa.blockSubStates[block] + sub;
    int[] known = closeDist.get(key);
    if (known != null) {
      return known;
    }
    int atMin = nfa.blockBase[block] + nfa.blockMinLength[block] * nfa.blockSubStates[block];
    DfaState afterQuote = step(closureState(new int[] {atMin + StringSyntax.S_CHAR}, 1), '"');
    int[] closing = scan.closeTokens();
    int[] at = scan.closeAt();
    int[] dist = new int[closing.length];
    for (int i = 0; i < closing.length; i++) {
      dist[i] = stepAll(afterQuote, vocab.bytes(closing[i]), at[i]).dist;
    }
    closeDist.put(key, dist);
    return dist;
  }

  // ------------------------------------------------------------------ masks

  /**
   * Allowed tokens of one state with the completion cost ({@code dist} of the state after the token) of each.
   * Dense masks keep a bitset of all allowed tokens plus the tokens whose cost differs from the most common
   * ("bulk") cost, sorted by cost descending; sparse masks keep all their tokens that way.
   */
  static final class StateMask {
    final int count;
    final long[] dense;
    final int bulkDist;
    final int maxDist;
    final int[] explicitTokens;
    final int[] explicitDists;
    /**
     * For a state inside a string: per token id, the characters the token starts in that string before leaving it
     * (saturated at 255); null elsewhere. {@code maxChars} is their maximum over allowed tokens.
     */
    final byte[] charsByToken;
    final int maxChars;
    /**
     * Added to the budget before comparing it with the costs: 0, or for a position inside a string that shares the
     * mask of another position of the same string and sub-state ({@code count - template count}), whose costs are all
     * larger by exactly that much.
     */
    final int shift;

    StateMask(int count, long[] dense, int bulkDist, int maxDist, int[] explicitTokens, int[] explicitDists,
        byte[] charsByToken, int maxChars) {
      this(count, dense, bulkDist, maxDist, explicitTokens, explicitDists, charsByToken, maxChars, 0);
    }

    StateMask(int count, long[] dense, int bulkDist, int maxDist, int[] explicitTokens, int[] explicitDists,
        byte[] charsByToken, int maxChars, int shift) {
      this.shift = shift;
      this.count = count;
      this.dense = dense;
      this.bulkDist = bulkDist;
      this.maxDist = maxDist;
      this.explicitTokens = explicitTokens;
      this.explicitDists = explicitDists;
      this.charsByToken = charsByToken;
      this.maxChars = maxChars;
    }

    /** This mask less the tokens that start more than {@code charsLeft} characters in the current string. */
    StateMask limitChars(int charsLeft, int words) {
      if (charsLeft >= maxChars && maxChars < 255) {
        return this;
      }
      charsLeft = Math.min(charsLeft, 254); // a saturated count (255: at least 255 characters) is never allowed
      int n = 0;
      long[] d = null;
      if (dense != null) {
        d = dense.clone();
        for (int w = 0; w < words; w++) {
          long bits = d[w];
          while (bits != 0) {
            int t = (w << 6) + Long.numberOfTrailingZeros(bits);
            bits &= bits - 1;
            if ((charsByToken[t] & 0xFF) > charsLeft) {
              d[w] &= ~(1L << t);
            } else {
              n++;
            }
          }
        }
      }
      int[] et = new int[explicitTokens.length];
      int[] ed = new int[explicitTokens.length];
      int e = 0;
      int max = -1;
      for (int i = 0; i < explicitTokens.length; i++) {
        if ((charsByToken[explicitTokens[i]] & 0xFF) <= charsLeft) {
          et[e] = explicitTokens[i];
          ed[e++] = explicitDists[i];
          max = Math.max(max, explicitDists[i]);
        }
      }
      if (dense == null) {
        n = e;
      } else if (n > e) {
        max = Math.max(max, bulkDist);
      }
      return new StateMask(n, d, bulkDist, max, Arrays.copyOf(et, e), Arrays.copyOf(ed, e), null, 0, shift);
    }

    /** Index of the first explicit token whose cost is at most {@code limit}. */
    int firstAtMost(int limit) {
      int lo = 0;
      int hi = explicitDists.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (explicitDists[mid] > limit) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }
  }

  private StateMask maskOf(DfaState s) {
    StateMask m = s.mask;
    if (m == null) {
      synchronized (this) {
        m = s.mask;
        if (m == null) {
          if (s.maskSource == s && s.stringBlock >= 0 && s.members.length == 1) {
            m = sharedStringMask(s);
            if (m != null) {
              sharedStringMasks++;
            } else {
              m = walker.inString(this, s);
              stringMasks++;
              if (shareable(s)) {
                templates.putIfAbsent(templateKey(s), new Template(s.stringCount, m));
              }
            }
          } else if (s.maskSource == s) {
            m = walker.walk(this, s);
            trieWalks++;
          } else {
            m = maskOf(s.maskSource).limitChars(s.charsLeft, words);
          }
          s.mask = m;
        }
      }
    }
    return m;
  }

  // ------------------------------------------------------------------ shared in-string masks

  /*
   * Inside a string, before minLength, a position's mask depends only on the NFA distances of the positions its tokens
   * reach (count + characters started, sub-state ended in) as long as no token can reach minLength (so none closes the
   * string, none is cut by maxLength, and the distance index is not clamped). Those distances fall by exactly one per
   * character there, so two such positions of one string and sub-state have the same tokens with costs that differ by
   * the difference of their counts: the later position takes the earlier one's mask with a shift, after checking the
   * distances it reads. Under the lock.
   */

  private long templateKey(DfaState s) {
    return ((long) s.stringBlock << 32) | stringSub(s);
  }

  /**
   * For a string sub-state: {the most characters a token that stays in the string starts (255 when one starts 255 or
   * more), the most characters a token that closes the string starts (those of 255 never count: never allowed)}.
   */
  private int[] reach(int sub) {
    int[] known = reaches.get(sub);
    if (known != null) {
      return known;
    }
    TokenVocabulary.StringScan scan = vocab.stringScan(sub);
    byte[] end = scan.end();
    byte[] used = scan.chars();
    int stay = 0;
    for (int t = 0; t < vocab.size(); t++) {
      if (end[t] >= 0) {
        stay = Math.max(stay, used[t] & 0xFF);
      }
    }
    int close = 0;
    for (int t : scan.closeTokens()) {
      int c = used[t] & 0xFF;
      if (c != 255) {
        close = Math.max(close, c);
      }
    }
    int[] reach = {stay, close};
    reaches.put(sub, reach);
    return reach;
  }

  /** Whether no token from this in-string position can reach minLength (its mask can be shared, see above). */
  private boolean shareable(DfaState s) {
    int block = s.stringBlock;
    int[] reach = reach(stringSub(s));
    int min = nfa.blockMinLength[block];
    return reach[0] < 255 && s.stringCount + reach[0] < min && s.stringCount + reach[1] < min;
  }

  private int stringSub(DfaState s) {
    int block = s.stringBlock;
    return (s.members[0] - nfa.blockBase[block]) % nfa.blockSubStates[block];
  }

  /** This position's mask as a shift of an earlier-computed position's, or null when none can serve. */
  private StateMask sharedStringMask(DfaState s) {
    if (!shareable(s)) {
      return null;
    }
    Template template = templates.get(templateKey(s));
    if (template == null) {
      return null;
    }
    int block = s.stringBlock;
    int subs = nfa.blockSubStates[block];
    int base = nfa.blockBase[block];
    int delta = s.stringCount - template.count;
    int stay = reach(stringSub(s))[0];
    for (int c = 0; c <= stay; c++) {
      for (int e = 0; e < subs; e++) {
        int a = nfaDist[base + (template.count + c) * subs + e];
        int b = nfaDist[base + (s.stringCount + c) * subs + e];
        boolean aOut = a >= ByteNfa.UNREACHABLE;
        boolean bOut = b >= ByteNfa.UNREACHABLE;
        if (aOut != bOut || (!aOut && b != a - delta)) {
          return null;
        }
      }
    }
    StateMask m = template.mask;
    return new StateMask(m.count, m.dense, m.bulkDist, m.maxDist, m.explicitTokens, m.explicitDists, null, 0,
        m.shift + delta);
  }

  /** Walks the vocabulary trie from a state; reusable scratch, used under the decoder lock. */
  private static final class TrieWalker {
    private final TokenVocabulary v;
    private final int[] nodeAt;
    private final int[] cursor;
    private final DfaState[] stateAt;
    private final int[] charsAt;
    private int[] toks = new int[1024];
    private int[] dists = new int[1024];

    TrieWalker(TokenVocabulary v) {
      this.v = v;
      int depth = v.maxTokenBytes() + 2;
      nodeAt = new int[depth];
      cursor = new int[depth];
      stateAt = new DfaState[depth];
      charsAt = new int[depth];
    }

    StateMask walk(ConstrainedDecoder d, DfaState from) {
      int n = 0;
      int sp = 0;
      nodeAt[0] = 0;
      cursor[0] = v.childStart[0];
      stateAt[0] = from;
      // inside a length-bounded string: count the characters each token starts in it before leaving it
      int block = from.stringBlock;
      boolean countChars = block >= 0 && d.nfa.blockMaxLength[block] >= 0;
      byte[] chars = countChars ? new byte[v.size()] : null;
      int maxChars = 0;
      charsAt[0] = 0;
      while (sp >= 0) {
        int node = nodeAt[sp];
        if (cursor[sp] >= v.childEnd[node]) {
          sp--;
          continue;
        }
        int e = cursor[sp]++;
        DfaState t = d.step(stateAt[sp], v.edgeByte[e] & 0xFF);
        if (t.dist >= ByteNfa.UNREACHABLE) {
          continue;
        }
        int used = 0;
        if (countChars) { // >= 0: still in the string; -(x + 1): left it having started x characters
          int before = charsAt[sp];
          used = before < 0 ? before : t.stringBlock == block ? t.stringCount - from.stringCount : -(before + 1);
        }
        int child = v.edgeChild[e];
        for (int i = v.nodeTokensStart[child]; i < v.nodeTokensEnd[child]; i++) {
          if (n == toks.length) {
            toks = Arrays.copyOf(toks, n * 2);
            dists = Arrays.copyOf(dists, n * 2);
          }
          toks[n] = v.nodeTokens[i];
          dists[n++] = t.dist;
          if (countChars) {
            int c = Math.min(255, used >= 0 ? used : -(used + 1));
            chars[v.nodeTokens[i]] = (byte) c;
            maxChars = Math.max(maxChars, c);
          }
        }
        if (v.childStart[child] < v.childEnd[child]) {
          sp++;
          nodeAt[sp] = child;
          cursor[sp] = v.childStart[child];
          stateAt[sp] = t;
          charsAt[sp] = used;
        }
      }
      return build(n, chars, maxChars);
    }

    /**
     * The mask of a position inside a string without walking the trie: tokens that stay in the string are judged by
     * the vocabulary's scan for this sub-state (characters started, sub-state reached), whose completion cost is
     * the NFA distance of the position reached; only tokens that close the string are stepped through the automaton.
     */
    StateMask inString(ConstrainedDecoder d, DfaState s) {
      ByteNfa nfa = d.nfa;
      int block = s.stringBlock;
      int subs = nfa.blockSubStates[block];
      int base = nfa.blockBase[block];
      int sub = (s.members[0] - base) % subs;
      int count = s.stringCount;
      int min = nfa.blockMinLength[block];
      int max = nfa.blockMaxLength[block];
      boolean bounded = max >= 0;
      TokenVocabulary.StringScan scan = v.stringScan(sub);
      byte[] end = scan.end();
      byte[] used = scan.chars();
      boolean record = bounded && count == min; // the characters per token serve the positions past minLength
      byte[] chars = record ? new byte[v.size()] : null;
      int maxChars = 0;
      int n = 0;
      for (int t = 0; t < v.size(); t++) {
        int e = end[t];
        if (e < 0) { // cannot appear, or closes the string (below)
          continue;
        }
        int c = used[t] & 0xFF;
        int dist;
        if (c == 255) {
          dist = d.stepAll(s, v.bytes(t), 0).dist;
        } else if (bounded && count + c > max) {
          continue;
        } else {
          dist = d.nfaDist[base + (bounded ? count + c : Math.min(count + c, min)) * subs + e];
        }
        if (dist < ByteNfa.UNREACHABLE) {
          n = add(n, t, dist);
          if (record) {
            chars[t] = (byte) c;
            maxChars = Math.max(maxChars, c);
          }
        }
      }
      int[] closing = scan.closeTokens();
      int[] closeDist = d.closeDistances(block, sub, scan);
      for (int i = 0; i < closing.length; i++) {
        int t = closing[i];
        int c = used[t] & 0xFF;
        if (count + c < min || (bounded && count + c > max) || c == 255 || closeDist[i] >= ByteNfa.UNREACHABLE) {
          continue;
        }
        n = add(n, t, closeDist[i]);
        if (record) {
          chars[t] = (byte) c;
          maxChars = Math.max(maxChars, c);
        }
      }
      return build(n, chars, maxChars);
    }

    private int add(int n, int token, int dist) {
      if (n == toks.length) {
        toks = Arrays.copyOf(toks, n * 2);
        dists = Arrays.copyOf(dists, n * 2);
      }
      toks[n] = token;
      dists[n] = dist;
      return n + 1;
    }

    private StateMask build(int n, byte[] chars, int maxChars) {
      if (n == 0) {
        return new StateMask(0, null, 0, -1, new int[0], new int[0], null, 0);
      }
      boolean isDense = n >= (v.size() >>> 6) + 16;
      int maxDist = -1;
      int minDist = Integer.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        maxDist = Math.max(maxDist, dists[i]);
        minDist = Math.min(minDist, dists[i]);
      }
      int bulk = isDense ? mostCommonCost(n, minDist, maxDist) : Integer.MIN_VALUE;
      long[] dense = null;
      if (isDense) {
        dense = new long[v.maskWords()];
        for (int i = 0; i < n; i++) {
          dense[toks[i] >>> 6] |= 1L << toks[i];
        }
      }
      int e = 0;
      int lo = Integer.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        if (dists[i] != bulk) {
          e++;
          lo = Math.min(lo, dists[i]);
        }
      }
      int[] et = new int[e];
      int[] ed = new int[e];
      if (e > 0) {
        sortExplicit(n, bulk, lo, maxDist, et, ed);
      }
      return new StateMask(n, dense, isDense ? bulk : Integer.MAX_VALUE, maxDist, et, ed, chars, maxChars);
    }

    /**
     * The most common cost of {@code dists[0..n)}, the one seen first among equally common ones: counted in an array
     * over the costs' range when it is not far above {@code n}, else in a list of the distinct costs.
     */
    private int mostCommonCost(int n, int lo, int hi) {
      if ((long) hi - lo <= 4L * n + 1024) {
        int[] counts = new int[hi - lo + 1];
        int[] first = new int[hi - lo + 1];
        for (int i = 0; i < n; i++) {
          int c = dists[i] - lo;
          if (counts[c]++ == 0) {
            first[c] = i;
          }
        }
        int best = dists[0] - lo;
        for (int c = 0; c < counts.length; c++) {
          if (counts[c] > counts[best] || (counts[c] == counts[best] && counts[c] > 0 && first[c] < first[best])) {
            best = c;
          }
        }
        return best + lo;
      }
      int[] distinct = new int[8];
      int[] counts = new int[8];
      int k = 0;
      for (int i = 0; i < n; i++) {
        int dd = dists[i];
        int j = 0;
        while (j < k && distinct[j] != dd) {
          j++;
        }
        if (j == k) {
          if (k == distinct.length) {
            distinct = Arrays.copyOf(distinct, k * 2);
            counts = Arrays.copyOf(counts, k * 2);
          }
          distinct[k++] = dd;
        }
        counts[j]++;
      }
      int best = 0;
      for (int j = 1; j < k; j++) {
        if (counts[j] > counts[best]) {
          best = j;
        }
      }
      return distinct[best];
    }

    /**
     * The {@code et.length} tokens of {@code toks[0..n)} whose cost is not {@code bulk}, into {@code et} and their
     * costs into {@code ed}, by cost descending, then token ascending. Costs are small integers (at most {@code hi}),
     * so a counting sort by cost, then a sort of each cost's tokens, when their range is not far above the count
     * (inside a string before minLength nearly every token has its own cost: thousands of explicit tokens); else one
     * comparison sort.
     */
    private void sortExplicit(int n, int bulk, int lo, int hi, int[] et, int[] ed) {
      int e = et.length;
      if ((long) hi - lo > 4L * e + 1024) {
        long[] packed = new long[e];
        int k = 0;
        for (int i = 0; i < n; i++) {
          if (dists[i] != bulk) {
            packed[k++] = ((long) (Integer.MAX_VALUE - dists[i]) << 32) | toks[i];
          }
        }
        Arrays.sort(packed, 0, e);
        for (int i = 0; i < e; i++) {
          et[i] = (int) packed[i];
          ed[i] = Integer.MAX_VALUE - (int) (packed[i] >>> 32);
        }
        return;
      }
      int range = hi - lo + 1;
      int[] next = new int[range + 1]; // bucket b (cost hi - b) starts at next[b]
      for (int i = 0; i < n; i++) {
        if (dists[i] != bulk) {
          next[hi - dists[i] + 1]++;
        }
      }
      for (int b = 1; b <= range; b++) {
        next[b] += next[b - 1];
      }
      for (int i = 0; i < n; i++) {
        if (dists[i] != bulk) {
          int at = next[hi - dists[i]]++;
          et[at] = toks[i];
          ed[at] = dists[i];
        }
      }
      int from = 0;
      for (int b = 0; b < range; b++) { // next[b] is now the end of bucket b
        if (next[b] - from > 1) {
          Arrays.sort(et, from, next[b]);
        }
        from = next[b];
      }
    }
  }
}
