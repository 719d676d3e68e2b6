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
 * per state: the 256 byte transitions, the shortest completion in bytes, and a token mask computed once by walking
 * the vocabulary's byte trie. Positions inside a long string whose future does not depend on how many characters were
 * written share one mask. Everything is cached, so after warm-up a mask costs a copy of {@code vocab/64} longs.
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

    private static final int MAX_DECODERS = 256;
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
    private final DfaState dead;
    private final DfaState start;
    private final TrieWalker walker;
    // scratch for subset construction, used under the lock
    private int[] mark;
    private int stamp;
    private int[] work = new int[64];

    private ConstrainedDecoder(CompiledSchema schema, TokenVocabulary vocab) {
        this.schema = schema;
        this.vocab = vocab;
        this.nfa = schema.nfa();
        this.nfaDist = nfa.distancesToAccept(vocab.singleByteTokens());
        this.eos = vocab.eosIdsShared();
        this.words = vocab.maskWords();
        this.mark = new int[nfa.stateCount];
        this.dead = new DfaState(new int[0], ByteNfa.UNREACHABLE, false, null);
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

    /** The decoder for this pair, created once and cached (the cache keeps the 256 most recently used pairs). */
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
        StateMask m = maskOf(st.maskSource);
        int limit = remainingTokens - 1;
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
            int[] dists = m.explicitDists;
            for (int i = m.firstAtMost(limit); i < toks.length; i++) {
                maskOut[toks[i] >>> 6] |= 1L << toks[i];
            }
        }
        if (st.accepting) {
            for (int e : eos) {
                maskOut[e >>> 6] |= 1L << e;
            }
        }
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

    /** Number of automaton states built so far (for tests and metrics). */
    public int statesBuilt() {
        return states.size();
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
        /** The state whose mask this state uses (itself unless a string position shares one). */
        final DfaState maskSource;
        volatile StateMask mask;

        DfaState(int[] members, int dist, boolean accepting, DfaState maskSource) {
            this.members = members;
            this.dist = dist;
            this.accepting = accepting;
            this.maskSource = maskSource == null ? this : maskSource;
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
        DfaState created = new DfaState(members, dist, accepting, sharedMaskSource(members));
        states.put(key, created);
        return created;
    }

    /**
     * For a position inside a length-bounded string, far enough from both bounds that no single token can reach
     * them, the state at the band's first character count: it allows the same tokens with the same completion costs.
     */
    private DfaState sharedMaskSource(int[] members) {
        int block = nfa.stringBlock[members[0]];
        if (block < 0 || nfa.blockMaxLength[block] < 0) {
            return null;
        }
        int sub = nfa.blockSubStates[block];
        int base = nfa.blockBase[block];
        int count = (members[0] - base) / sub;
        for (int m : members) {
            if (nfa.stringBlock[m] != block || (m - base) / sub != count) {
                return null;
            }
        }
        int bandStart = nfa.blockMinLength[block];
        int bandEnd = nfa.blockMaxLength[block] - vocab.maxTokenBytes();
        if (count <= bandStart || count > bandEnd) {
            return null;
        }
        int[] shifted = new int[members.length];
        int shift = (count - bandStart) * sub;
        for (int i = 0; i < members.length; i++) {
            shifted[i] = members[i] - shift;
        }
        return intern(shifted);
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

        StateMask(int count, long[] dense, int bulkDist, int maxDist, int[] explicitTokens, int[] explicitDists) {
            this.count = count;
            this.dense = dense;
            this.bulkDist = bulkDist;
            this.maxDist = maxDist;
            this.explicitTokens = explicitTokens;
            this.explicitDists = explicitDists;
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
                    m = walker.walk(this, s);
                    s.mask = m;
                }
            }
        }
        return m;
    }

    /** Walks the vocabulary trie from a state; reusable scratch, used under the decoder lock. */
    private static final class TrieWalker {
        private final TokenVocabulary v;
        private final int[] nodeAt;
        private final int[] cursor;
        private final DfaState[] stateAt;
        private int[] toks = new int[1024];
        private int[] dists = new int[1024];

        TrieWalker(TokenVocabulary v) {
            this.v = v;
            int depth = v.maxTokenBytes() + 2;
            nodeAt = new int[depth];
            cursor = new int[depth];
            stateAt = new DfaState[depth];
        }

        StateMask walk(ConstrainedDecoder d, DfaState from) {
            int n = 0;
            int sp = 0;
            nodeAt[0] = 0;
            cursor[0] = v.childStart[0];
            stateAt[0] = from;
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
                int child = v.edgeChild[e];
                for (int i = v.nodeTokensStart[child]; i < v.nodeTokensEnd[child]; i++) {
                    if (n == toks.length) {
                        toks = Arrays.copyOf(toks, n * 2);
                        dists = Arrays.copyOf(dists, n * 2);
                    }
                    toks[n] = v.nodeTokens[i];
                    dists[n++] = t.dist;
                }
                if (v.childStart[child] < v.childEnd[child]) {
                    sp++;
                    nodeAt[sp] = child;
                    cursor[sp] = v.childStart[child];
                    stateAt[sp] = t;
                }
            }
            return build(n);
        }

        private StateMask build(int n) {
            if (n == 0) {
                return new StateMask(0, null, 0, -1, new int[0], new int[0]);
            }
            // most common cost, found with a small list of distinct costs
            int[] distinct = new int[8];
            int[] counts = new int[8];
            int k = 0;
            int maxDist = -1;
            for (int i = 0; i < n; i++) {
                int dd = dists[i];
                maxDist = Math.max(maxDist, dd);
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
            boolean isDense = n >= (v.size() >>> 6) + 16;
            int bulk = Integer.MIN_VALUE;
            if (isDense) {
                int best = 0;
                for (int j = 1; j < k; j++) {
                    if (counts[j] > counts[best]) {
                        best = j;
                    }
                }
                bulk = distinct[best];
            }
            long[] dense = null;
            if (isDense) {
                dense = new long[v.maskWords()];
                for (int i = 0; i < n; i++) {
                    dense[toks[i] >>> 6] |= 1L << toks[i];
                }
            }
            int e = 0;
            long[] packed = new long[n];
            for (int i = 0; i < n; i++) {
                if (dists[i] != bulk) {
                    // descending cost, then ascending token
                    packed[e++] = ((long) (Integer.MAX_VALUE - dists[i]) << 32) | toks[i];
                }
            }
            Arrays.sort(packed, 0, e);
            int[] et = new int[e];
            int[] ed = new int[e];
            for (int i = 0; i < e; i++) {
                et[i] = (int) packed[i];
                ed[i] = Integer.MAX_VALUE - (int) (packed[i] >>> 32);
            }
            return new StateMask(n, dense, isDense ? bulk : Integer.MAX_VALUE, maxDist, et, ed);
        }
    }
}
