package dev.kamado.server.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs generations through an idle engine before the server reports ready, so that the JIT has compiled the decode
 * step's loops (they reach full speed only after a few hundred steps) and the first clients do not run on
 * interpreted code: {@code steps} tokens of one stream, then {@code steps} tokens of each of {@code width} streams
 * decoded together (half greedy, half sampled), then one constrained generation per given constraint.
 *
 * <p>Warm-up requests are ordinary engine requests: each has its own KV cache, freed when it ends, and its own seeded
 * random stream, so nothing of them is left for later requests (answers are the same with or without warm-up). When
 * {@code timeLimit} passes, the running warm-up requests are cancelled and the warm-up ends early.
 */
public final class EngineWarmup {

  /**
   * What a warm-up did.
   *
   * @param tokens tokens generated in all
   * @param requests warm-up requests run
   * @param width streams decoded together in the batched phase
   * @param millis wall-clock time
   * @param timedOut whether the time limit ended it early
   */
  public record Result(int tokens, int requests, int width, long millis, boolean timedOut) {}

  private static final double SAMPLED_TEMPERATURE = 0.8;
  private static final double SAMPLED_TOP_P = 0.9;

  private final Engine engine;
  private final int[] prompt;
  private final long deadlineNanos;
  private final AtomicInteger tokens = new AtomicInteger();
  private int requests;
  private boolean timedOut;

  private EngineWarmup(Engine engine, int[] prompt, Duration timeLimit) {
    this.engine = engine;
    this.prompt = prompt;
    this.deadlineNanos = System.nanoTime() + timeLimit.toNanos();
  }

  /**
   * Warms the engine up; call before the engine serves anything, while nothing else submits to it.
   *
   * @param engine a started, idle engine
   * @param prompt prompt of every warm-up request (not empty)
   * @param steps tokens per stream in the single-stream and batched phases; 0 = no warm-up
   * @param width streams in the batched phase (at most the engine's running and waiting limits)
   * @param constraints constraints to run one generation each under (may be empty)
   * @param timeLimit when to stop early
   * @throws IllegalStateException when a warm-up request fails
   */
  public static Result run(Engine engine, int[] prompt, int steps, int width, List<TokenConstraint> constraints,
      Duration timeLimit) throws InterruptedException {
    long start = System.nanoTime();
    EngineWarmup warmup = new EngineWarmup(engine, prompt, timeLimit);
    int room = engine.contextLength() - prompt.length - 1;
    if (steps > 0 && room >= 1) {
      warmup.free(steps, 1, room);
      if (width > 1) {
        warmup.free(steps, width, room);
      }
      for (int i = 0; i < constraints.size() && !warmup.timedOut; i += Math.max(1, width)) {
        List<GenerationRequest> batch = new ArrayList<>();
        for (TokenConstraint constraint : constraints.subList(i, Math.min(constraints.size(), i + Math.max(1,
            width)))) {
          batch.add(warmup.request(Math.min(steps, room), 0, 1, 0, false, constraint));
        }
        warmup.runTogether(batch);
      }
    }
    return new Result(warmup.tokens.get(), warmup.requests, Math.max(1, width),
        (System.nanoTime() - start) / 1_000_000, warmup.timedOut);
  }

  /** {@code steps} tokens for each of {@code width} free streams, in rounds of at most {@code room} tokens. */
  private void free(int steps, int width, int room) throws InterruptedException {
    for (int remaining = steps; remaining > 0 && !timedOut; remaining -= Math.min(remaining, room)) {
      int maxTokens = Math.min(remaining, room);
      List<GenerationRequest> batch = new ArrayList<>();
      for (int i = 0; i < width; i++) {
        boolean sampled = i % 2 == 1;
        batch.add(request(maxTokens, sampled ? SAMPLED_TEMPERATURE : 0, sampled ? SAMPLED_TOP_P : 1, i, true, null));
      }
      runTogether(batch);
    }
  }

  private GenerationRequest request(int maxTokens, double temperature, double topP, long seed, boolean ignoreEos,
      TokenConstraint constraint) {
    return new GenerationRequest(prompt, new SamplingParams(maxTokens, temperature, topP, seed, List.of(), ignoreEos),
        constraint, new Outcome());
  }

  /** Submits the requests at once (the engine decodes them in one batch) and waits for all of them. */
  private void runTogether(List<GenerationRequest> batch) throws InterruptedException {
    try {
      engine.submitAll(batch); // admitted in one step: decoded together from the first token
    } catch (QueueFullException e) {
      throw new IllegalStateException("warm-up: " + e.getMessage(), e);
    }
    requests += batch.size();
    for (GenerationRequest request : batch) {
      Outcome outcome = (Outcome) request.listener();
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0 || !outcome.done.await(left, TimeUnit.NANOSECONDS)) {
        timedOut = true;
        for (GenerationRequest running : batch) {
          engine.cancel(running);
        }
        engine.awaitIdle(Duration.ofSeconds(60));
        return;
      }
      if (outcome.error.get() != null) {
        throw new IllegalStateException("warm-up: " + outcome.error.get());
      }
    }
  }

  /** One warm-up request's end. */
  private final class Outcome implements GenerationListener {
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicReference<String> error = new AtomicReference<>();

    @Override
    public void onText(String text) {
    }

    @Override
    public void onFinish(FinishReason reason, int promptTokens, int completionTokens) {
      tokens.addAndGet(completionTokens);
      done.countDown();
    }

    @Override
    public void onError(String message) {
      error.set(message);
      done.countDown();
    }
  }
}
