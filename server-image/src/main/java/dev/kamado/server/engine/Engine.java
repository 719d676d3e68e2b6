package dev.kamado.server.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation engine: one thread owns the model and runs iteration-level continuous batching. Each step admits
 * waiting requests (prefill, first token) up to a prompt-token budget, then decodes one token for every running
 * sequence in one batched call; a sequence that finishes or is cancelled leaves the batch at once and its KV cache is
 * freed. Any thread may {@link #submit} and cancel requests.
 */
public final class Engine implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
  private static final long IDLE_POLL_MILLIS = 20;

  private final LanguageModel model;
  private final java.util.function.Supplier<Detokenizer> detokenizers;
  private final int generatableIds;
  private final boolean[] endOfSequence;
  private final int[] endOfSequenceIds;
  private final EngineSettings settings;
  private final EngineMetrics metrics;
  private final BlockingQueue<GenerationRequest> waiting;
  private final List<Sequence> running = new ArrayList<>();
  private final List<LanguageModel.SequenceCache> batchCaches = new ArrayList<>();
  /** Admitted sequences whose prefill runs in the next {@link #step()} (engine thread only). */
  private final List<Sequence> joining = new ArrayList<>();
  /** Requests taken from the waiting queue for the next {@link #admit()} (engine thread only). */
  private final List<GenerationRequest> admitting = new ArrayList<>();
  private final Sampler sampler;
  private final AtomicInteger runningCount = new AtomicInteger();
  private final Thread thread;
  private volatile String failure;
  /** Held while requests enter the waiting queue, leave it by cancel, or are taken for admission. */
  private final Object admission = new Object();
  private volatile boolean accepting = true;
  private volatile boolean stopping;

  /**
   * An engine; call {@link #start()} to begin.
   *
   * @param model the model, owned by the engine from now on (closed by {@link #close()})
   * @param detokenizers makes one detokenizer per sequence
   * @param generatableIds ids at or above this are never generated (ids the tokenizer does not know)
   * @param endOfSequenceIds ids that end generation
   * @param settings scheduling limits
   * @param metrics where to report
   */
  public Engine(LanguageModel model, java.util.function.Supplier<Detokenizer> detokenizers, int generatableIds,
      Set<Integer> endOfSequenceIds, EngineSettings settings, EngineMetrics metrics) {
    this.model = model;
    this.detokenizers = detokenizers;
    this.generatableIds = generatableIds;
    this.endOfSequence = new boolean[model.vocabSize()];
    for (int id : endOfSequenceIds) {
      if (id >= 0 && id < endOfSequence.length) {
        endOfSequence[id] = true;
      }
    }
    this.endOfSequenceIds = endOfSequenceIds.stream().mapToInt(Integer::intValue)
        .filter(id -> id >= 0 && id < endOfSequence.length).toArray();
    this.settings = settings;
    this.metrics = metrics;
    this.waiting = new ArrayBlockingQueue<>(settings.maxWaiting());
    this.sampler = new Sampler(model.vocabSize());
    this.thread = new Thread(this::loop, "kamado-engine");
    this.thread.setDaemon(true);
  }

  /** Starts the engine thread. */
  public void start() {
    thread.start();
  }

  /** The model's context length. */
  public int contextLength() {
    return model.contextLength();
  }

  /** Sequences being decoded now. */
  public int running() {
    return runningCount.get();
  }

  /** Requests waiting for a slot. */
  public int waiting() {
    return waiting.size();
  }

  /**
   * Queues a request.
   *
   * @throws QueueFullException when the waiting queue is full or the engine is shutting down
   */
  public void submit(GenerationRequest request) throws QueueFullException {
    submitAll(List.of(request));
  }

  /**
   * Queues requests so that the engine admits them in the same step when it has room (no step runs between their
   * arrivals): all of them, or none when the queue has too little room.
   *
   * @throws QueueFullException when the waiting queue cannot take them all, the engine is shutting down, or it failed
   */
  public void submitAll(List<GenerationRequest> requests) throws QueueFullException {
    synchronized (admission) {
      String failed = failure;
      if (failed != null) {
        throw new QueueFullException("the engine failed (" + failed + "); the server must be restarted",
            QueueFullException.Kind.ENGINE_FAILED);
      }
      if (!accepting) {
        throw new QueueFullException("the server is shutting down", QueueFullException.Kind.SHUTTING_DOWN);
      }
      if (waiting.remainingCapacity() < requests.size()) {
        throw new QueueFullException("the waiting queue is full (" + settings.maxWaiting() + " requests)",
            QueueFullException.Kind.FULL);
      }
      waiting.addAll(requests);
    }
  }

  /**
   * Why the engine's thread stopped on an error (then every request fails and new ones are refused: the server must be
   * restarted, which /healthz tells a kubelet), or null while it works.
   */
  public String failure() {
    return failure;
  }

  /** Cancels a request wherever it is; a waiting one leaves the queue at once. */
  public void cancel(GenerationRequest request) {
    request.cancel();
    synchronized (admission) {
      waiting.remove(request);
    }
  }

  /** Stops accepting new requests; queued and running ones continue. */
  public void stopAccepting() {
    accepting = false;
  }

  /** Waits until no request is waiting or running; returns whether that happened within {@code timeout}. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (runningCount.get() > 0 || !waiting.isEmpty()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  /** Cancels what is left, stops the thread and closes the model. */
  @Override
  public void close() {
    accepting = false;
    stopping = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!thread.isAlive()) {
      model.close();
    }
  }

  private void loop() {
    // libtorch's thread setting is per OS thread: this thread runs every forward pass, so it gets the configured one.
    dev.kamado.model.Engines.bindCurrentThread();
    try {
      while (!stopping) {
        dropCancelled();
        admit();
        if (running.isEmpty() && joining.isEmpty()) {
          GenerationRequest next = waiting.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
          if (next != null) {
            admitting.add(next);
            admit();
          }
          continue;
        }
        step();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      LOG.error("engine failed", e);
      failure = e.toString();
      failAll("the engine failed: " + e);
    }
    failAll("the server shut down before the request finished");
    for (GenerationRequest taken : admitting) {
      taken.listener().onError("the server is shutting down");
    }
    admitting.clear();
    GenerationRequest left;
    while ((left = waiting.poll()) != null) {
      left.listener().onError("the server is shutting down");
    }
  }

  /**
   * Admits waiting requests (after any already taken into {@link #admitting}) while fewer than max-running run or join,
   * up to the step's prompt-token budget (the first always): each gets its sequence and cache and joins the next
   * {@link #step()}, which prefills it.
   */
  private void admit() {
    int budget = settings.maxPrefillTokensPerStep();
    for (GenerationRequest taken : admitting) {
      budget -= taken.promptTokens().length;
    }
    synchronized (admission) { // a submitAll is admitted whole or not yet
      while (running.size() + joining.size() + admitting.size() < settings.maxRunning()) {
        GenerationRequest next = waiting.peek();
        if (next == null || (!admitting.isEmpty() && next.promptTokens().length > budget)) {
          break;
        }
        waiting.poll();
        budget -= next.promptTokens().length;
        admitting.add(next);
      }
    }
    for (GenerationRequest request : admitting) {
      Sequence sequence = newSequence(request);
      if (sequence != null) {
        joining.add(sequence);
      }
    }
    admitting.clear();
    runningCount.set(running.size() + joining.size());
  }

  /** A sequence with its cache and first mask for {@code request}, or null when it ends here (answered). */
  private Sequence newSequence(GenerationRequest request) {
    if (request.cancelled()) {
      metrics.finished(FinishReason.CANCELLED, secondsSince(request.arrivalNanos()));
      return null;
    }
    int[] prompt = request.promptTokens();
    int maxTokens = Math.min(request.sampling().maxTokens(), model.contextLength() - prompt.length);
    if (maxTokens < 1) {
      request.listener().onError("the prompt (" + prompt.length + " tokens) leaves no room in the context of "
          + model.contextLength() + " tokens");
      return null;
    }
    LanguageModel.SequenceCache cache = null;
    try {
      cache = model.newCache(prompt.length + maxTokens);
      Sequence sequence = new Sequence(request, cache, model.vocabSize(), detokenizers.get());
      if (sequence.cursor != null) {
        sequence.cursor.allowedTokens(sequence.remainingTokens(), sequence.mask);
      }
      return sequence;
    } catch (RuntimeException e) {
      if (cache != null) {
        cache.close();
      }
      LOG.warn("prefill failed", e);
      request.listener().onError("prefill failed: " + e.getMessage());
      return null;
    }
  }

  /**
   * One step: a token for every running sequence and the prefill (and first token) of every joining one, in one call
   * of {@link LanguageModel#step}, which may run the prefills beside the decode rows on other threads. The joining
   * sequences then run with the others.
   */
  private void step() {
    int n = running.size();
    int[] tokens = new int[n];
    batchCaches.clear();
    int[][] logitIds = null;
    for (int i = 0; i < n; i++) {
      Sequence sequence = running.get(i);
      batchCaches.add(sequence.cache);
      tokens[i] = sequence.lastToken;
      logitIds = neededLogits(sequence, i, n, logitIds);
    }
    List<LanguageModel.SequenceCache> joinCaches = new ArrayList<>(joining.size());
    List<int[]> prompts = new ArrayList<>(joining.size());
    int[][] joinLogitIds = null;
    for (int i = 0; i < joining.size(); i++) {
      Sequence sequence = joining.get(i);
      joinCaches.add(sequence.cache);
      prompts.add(sequence.request.promptTokens());
      joinLogitIds = neededLogits(sequence, i, joining.size(), joinLogitIds);
    }
    float[][][] logits;
    try {
      logits = model.step(batchCaches, tokens, logitIds, joinCaches, prompts, joinLogitIds);
    } catch (IllegalArgumentException | IllegalStateException e) {
      if (joining.isEmpty()) {
        throw e;
      }
      // arguments are checked before anything runs: the joining requests are answered, the others step next time
      LOG.warn("prefill failed", e);
      for (Sequence sequence : joining) {
        sequence.cache.close();
        sequence.request.listener().onError("prefill failed: " + e.getMessage());
      }
      joining.clear();
      runningCount.set(running.size());
      return;
    }
    int kept = 0;
    for (int i = 0; i < n; i++) {
      Sequence sequence = running.get(i);
      if (!accept(sequence, logits[0][i])) {
        running.set(kept++, sequence);
      }
    }
    while (running.size() > kept) {
      running.remove(running.size() - 1);
    }
    for (int i = 0; i < joining.size(); i++) {
      Sequence sequence = joining.get(i);
      metrics.promptTokens(prompts.get(i).length);
      if (!accept(sequence, logits[1][i])) {
        running.add(sequence);
      }
    }
    joining.clear();
    runningCount.set(running.size());
  }

  /**
   * Sets {@code sequence}'s {@link Sequence#sparseIds} for its next token and returns {@code ids} with row {@code row}
   * (of {@code rows}) set to them when its constraint allows few tokens (created on the first such row): the only
   * logits the sampler will read, which the model may then compute alone.
   */
  private int[][] neededLogits(Sequence sequence, int row, int rows, int[][] ids) {
    int[] needed = sequence.cursor == null ? null
        : Sampler.sparseIds(sequence.mask, Math.min(model.vocabSize(), generatableIds));
    sequence.sparseIds = needed;
    if (needed == null) {
      return ids;
    }
    int[][] out = ids != null ? ids : new int[rows][];
    out[row] = needed;
    return out;
  }

  /** Samples the next token of {@code sequence} from {@code logits}; returns whether the sequence finished. */
  private boolean accept(Sequence sequence, float[] logits) {
    GenerationRequest request = sequence.request;
    if (request.cancelled()) {
      finish(sequence, FinishReason.CANCELLED);
      return true;
    }
    if (request.sampling().ignoreEos()) {
      for (int id : endOfSequenceIds) {
        logits[id] = Float.NEGATIVE_INFINITY;
      }
    }
    int token = sampler.sample(logits, sequence.mask, sequence.sparseIds, generatableIds, request.sampling(),
        sequence.random);
    long now = System.nanoTime();
    metrics.generatedToken(sequence.generated == 0, (now - sequence.lastTokenNanos) / 1e9);
    sequence.lastTokenNanos = now;
    sequence.generated++;
    if (token < 0 || endOfSequence[token]) {
      finish(sequence, FinishReason.STOP);
      return true;
    }
    if (sequence.cursor != null) {
      sequence.cursor.advance(token);
    }
    String text = sequence.stops.append(sequence.text.next(token));
    request.listener().onText(text);
    if (sequence.stops.stopped()) {
      finish(sequence, FinishReason.STOP);
      return true;
    }
    if (sequence.remainingTokens() <= 0 || sequence.cache.length() + 1 >= model.contextLength()) {
      finish(sequence, FinishReason.LENGTH);
      return true;
    }
    if (sequence.cursor != null) {
      sequence.cursor.allowedTokens(sequence.remainingTokens(), sequence.mask);
      if (sequence.cursor.isComplete() && onlyEndOfSequence(sequence.mask)) {
        finish(sequence, FinishReason.STOP);
        return true;
      }
    }
    sequence.lastToken = token;
    return false;
  }

  private boolean onlyEndOfSequence(long[] mask) {
    for (int word = 0; word < mask.length; word++) {
      long bits = mask[word];
      while (bits != 0) {
        int id = word * 64 + Long.numberOfTrailingZeros(bits);
        if (id >= endOfSequence.length || !endOfSequence[id]) {
          return false;
        }
        bits &= bits - 1;
      }
    }
    return true;
  }

  private void finish(Sequence sequence, FinishReason reason) {
    sequence.cache.close();
    GenerationRequest request = sequence.request;
    metrics.finished(reason, secondsSince(request.arrivalNanos()));
    if (reason == FinishReason.CANCELLED) {
      return;
    }
    if (!sequence.stops.stopped()) {
      String rest = sequence.stops.append(sequence.text.finish());
      String held = sequence.stops.stopped() ? "" : sequence.stops.flush();
      if (!rest.isEmpty() || !held.isEmpty()) {
        request.listener().onText(rest + held);
      }
    }
    request.listener().onFinish(reason, request.promptTokens().length, sequence.generated);
  }

  private void failAll(String message) {
    running.addAll(joining);
    joining.clear();
    for (Sequence sequence : running) {
      sequence.cache.close();
      metrics.finished(FinishReason.CANCELLED, secondsSince(sequence.request.arrivalNanos()));
      sequence.request.listener().onError(message);
    }
    running.clear();
    runningCount.set(0);
  }

  private void dropCancelled() {
    int kept = 0;
    for (int i = 0; i < running.size(); i++) {
      Sequence sequence = running.get(i);
      if (sequence.request.cancelled()) {
        finish(sequence, FinishReason.CANCELLED);
      } else {
        running.set(kept++, sequence);
      }
    }
    while (running.size() > kept) {
      running.remove(running.size() - 1);
    }
    runningCount.set(running.size());
  }

  private static double secondsSince(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }
}
