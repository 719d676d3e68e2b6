package dev.kamado.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EngineTest {

  private Engine engine;
  private ToyLanguageModel model;

  private Engine start(long stepDelayNanos, int maxRunning, int maxWaiting) {
    model = new ToyLanguageModel(stepDelayNanos, 4096);
    engine = new Engine(model, () -> Detokenizer.ofBytes(ToyLanguageModel.tokenBytes()),
        ToyLanguageModel.VOCAB, Set.of(ToyLanguageModel.EOS),
        new EngineSettings(maxRunning, maxWaiting, 64), EngineMetrics.NONE);
    engine.start();
    return engine;
  }

  @AfterEach
  void stop() {
    if (engine != null) {
      engine.close();
    }
  }

  /** Collects one request's output. */
  static final class Collector implements GenerationListener {
    final StringBuilder text = new StringBuilder();
    final CompletableFuture<String> result = new CompletableFuture<>();
    volatile FinishReason reason;
    volatile int completionTokens;

    @Override
    public void onText(String t) {
      text.append(t);
    }

    @Override
    public void onFinish(FinishReason r, int promptTokens, int completion) {
      reason = r;
      completionTokens = completion;
      result.complete(text.toString());
    }

    @Override
    public void onError(String message) {
      result.completeExceptionally(new IllegalStateException(message));
    }
  }

  private static int[] prompt(Random random) {
    int[] tokens = new int[1 + random.nextInt(12)];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = random.nextInt(26);
    }
    return tokens;
  }

  private String runAlone(int[] prompt, SamplingParams params) throws Exception {
    Collector c = new Collector();
    engine.submit(new GenerationRequest(prompt, params, null, c));
    return c.result.get(30, TimeUnit.SECONDS);
  }

  @Test
  void concurrentRequestsGetTheSameAnswerAsAloneAndShareDecodeSteps() throws Exception {
    start(200_000, 8, 100);
    Random random = new Random(3);
    List<int[]> prompts = new ArrayList<>();
    List<SamplingParams> params = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      prompts.add(prompt(random));
      params.add(i % 2 == 0 ? new SamplingParams(20 + i, 0, 1, 0, List.of())
          : new SamplingParams(20 + i, 0.8, 0.9, 1000 + i, List.of()));
    }
    List<String> alone = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      alone.add(runAlone(prompts.get(i), params.get(i)));
    }
    int callsAlone = model.decodeCalls.get();
    List<Collector> collectors = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      Collector c = new Collector();
      collectors.add(c);
      engine.submit(new GenerationRequest(prompts.get(i), params.get(i), null, c));
    }
    for (int i = 0; i < prompts.size(); i++) {
      assertThat(collectors.get(i).result.get(30, TimeUnit.SECONDS)).as("request %d", i).isEqualTo(alone.get(i));
    }
    assertThat(model.largestBatch.get()).isEqualTo(8);
    assertThat(model.decodeCalls.get() - callsAlone).isLessThan(callsAlone / 2);
    assertThat(engine.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(model.openCaches.get()).isZero();
  }

  @Test
  void maxTokensEndsWithLengthAndCountsTokens() throws Exception {
    start(0, 4, 10);
    Collector c = new Collector();
    engine.submit(new GenerationRequest(new int[] {1, 2, 3}, new SamplingParams(5, 0, 1, 0, List.of()), null, c));
    String text = c.result.get(10, TimeUnit.SECONDS);
    if (c.reason == FinishReason.LENGTH) {
      assertThat(c.completionTokens).isEqualTo(5);
      assertThat(text).hasSize(5);
    } else {
      assertThat(c.completionTokens).isLessThanOrEqualTo(5);
    }
  }

  @Test
  void stopStringEndsGenerationAndIsNotSent() throws Exception {
    start(0, 4, 10);
    int[] prompt = {4, 5, 6};
    String free = runAlone(prompt, new SamplingParams(40, 0, 1, 0, List.of()));
    assertThat(free.length()).isGreaterThan(6);
    String stop = free.substring(3, 5);
    Collector c = new Collector();
    engine.submit(new GenerationRequest(prompt, new SamplingParams(40, 0, 1, 0, List.of(stop)), null, c));
    assertThat(c.result.get(10, TimeUnit.SECONDS)).isEqualTo(free.substring(0, free.indexOf(stop)));
    assertThat(c.reason).isEqualTo(FinishReason.STOP);
  }

  @Test
  void constraintMaskDecidesTokensAndEndsWhenComplete() throws Exception {
    start(0, 4, 10);
    TokenConstraint threeXs = () -> new TokenConstraint.Cursor() {
      int count;

      @Override
      public void allowedTokens(int remaining, long[] mask) {
        mask[0] = count < 3 ? 1L << ('x' - 'a') : 1L << ToyLanguageModel.EOS;
      }

      @Override
      public void advance(int token) {
        assertThat(token).isEqualTo('x' - 'a');
        count++;
      }

      @Override
      public boolean isComplete() {
        return count == 3;
      }
    };
    Collector c = new Collector();
    engine.submit(new GenerationRequest(new int[] {1}, new SamplingParams(50, 0.9, 1, 5, List.of()), threeXs, c));
    assertThat(c.result.get(10, TimeUnit.SECONDS)).isEqualTo("xxx");
    assertThat(c.reason).isEqualTo(FinishReason.STOP);

    // The engine tells the model which logits a constrained row needs (here the one token its mask allows; the toy
    // model then sets every other logit of that row to +inf): free requests beside it keep their own answers.
    Random random = new Random(5);
    List<int[]> prompts = new ArrayList<>();
    List<String> alone = new ArrayList<>();
    SamplingParams greedy = new SamplingParams(12, 0, 1, 0, List.of());
    for (int i = 0; i < 3; i++) {
      prompts.add(prompt(random));
      alone.add(runAlone(prompts.get(i), greedy));
    }
    int before = model.rowsWithFewLogits.get();
    Collector constrained = new Collector();
    List<Collector> free = new ArrayList<>();
    List<GenerationRequest> together = new ArrayList<>();
    together.add(new GenerationRequest(new int[] {2}, new SamplingParams(50, 0.9, 1, 7, List.of()), threeXs,
        constrained));
    for (int[] p : prompts) {
      Collector f = new Collector();
      free.add(f);
      together.add(new GenerationRequest(p, greedy, null, f));
    }
    engine.submitAll(together);
    assertThat(constrained.result.get(10, TimeUnit.SECONDS)).isEqualTo("xxx");
    for (int i = 0; i < prompts.size(); i++) {
      assertThat(free.get(i).result.get(10, TimeUnit.SECONDS)).as("free request %d beside a constrained one", i)
          .isEqualTo(alone.get(i));
    }
    // the prefill's row and two decode rows, one per x (then the mask allows only the end and the answer is complete)
    assertThat(model.rowsWithFewLogits.get() - before).as("rows whose few logits the model was told").isEqualTo(3);
  }

  @Test
  void cancelledRequestLeavesTheBatchAndFreesItsCache() throws Exception {
    start(1_000_000, 4, 10);
    Collector c = new Collector();
    GenerationRequest request = new GenerationRequest(new int[] {1}, new SamplingParams(3000, 0.5, 1, 1, List.of()),
        null, c);
    engine.submit(request);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (engine.running() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(engine.running()).isEqualTo(1);
    engine.cancel(request);
    assertThat(engine.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(model.openCaches.get()).isZero();
    assertThat(c.result).isNotDone();
  }

  @Test
  void fullQueueRefusesAndShutdownRefuses() throws Exception {
    start(5_000_000, 1, 1);
    SamplingParams slow = new SamplingParams(200, 0.5, 1, 1, List.of());
    GenerationRequest first = new GenerationRequest(new int[] {1}, slow, null, new Collector());
    engine.submit(first);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (engine.running() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    GenerationRequest second = new GenerationRequest(new int[] {2}, slow, null, new Collector());
    engine.submit(second);
    assertThatThrownBy(() -> engine.submit(new GenerationRequest(new int[] {3}, slow, null, new Collector())))
        .isInstanceOf(QueueFullException.class).hasMessageContaining("queue is full");
    engine.cancel(first);
    engine.cancel(second);
    engine.stopAccepting();
    assertThatThrownBy(() -> engine.submit(new GenerationRequest(new int[] {3}, slow, null, new Collector())))
        .isInstanceOf(QueueFullException.class)
        .matches(e -> ((QueueFullException) e).kind() == QueueFullException.Kind.SHUTTING_DOWN);
  }

  @Test
  void warmupDecodesAloneAndTogetherFreesEverythingAndChangesNoAnswer() throws Exception {
    start(200_000, 8, 100);
    Random random = new Random(11);
    List<int[]> prompts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      prompts.add(prompt(random));
    }
    SamplingParams greedy = new SamplingParams(30, 0, 1, 0, List.of());
    SamplingParams sampled = new SamplingParams(30, 0.8, 0.9, 77, List.of());
    List<String> before = new ArrayList<>();
    for (int[] p : prompts) {
      before.add(runAlone(p, greedy));
      before.add(runAlone(p, sampled));
    }
    int calls = model.decodeCalls.get();
    TokenConstraint twoXs = () -> new TokenConstraint.Cursor() {
      int count;

      @Override
      public void allowedTokens(int remaining, long[] mask) {
        mask[0] = count < 2 ? 1L << ('x' - 'a') : 1L << ToyLanguageModel.EOS;
      }

      @Override
      public void advance(int token) {
        count++;
      }

      @Override
      public boolean isComplete() {
        return count == 2;
      }
    };
    EngineWarmup.Result result = EngineWarmup.run(engine, new int[] {1, 2}, 40, 4, List.of(twoXs),
        Duration.ofSeconds(30));
    assertThat(result.timedOut()).isFalse();
    assertThat(result.requests()).isEqualTo(1 + 4 + 1);
    assertThat(result.tokens()).isEqualTo(40 + 4 * 40 + 2);
    assertThat(model.largestBatch.get()).isEqualTo(4);
    assertThat(model.decodeCalls.get() - calls).isBetween(2 * 39 + 1, 2 * 39 + 5);
    assertThat(engine.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(model.openCaches.get()).isZero();
    List<String> after = new ArrayList<>();
    for (int[] p : prompts) {
      after.add(runAlone(p, greedy));
      after.add(runAlone(p, sampled));
    }
    assertThat(after).isEqualTo(before);
  }

  /**
   * An error on the engine thread (here a LinkageError from decode, as a jar built against another model core would
   * give) answers the running request with an error, and every later request is refused as ENGINE_FAILED instead of
   * waiting forever; {@link Engine#failure()} says why (the server's /healthz and /readyz then answer 503).
   */
  @Test
  void aFailedEngineAnswersItsRequestAndRefusesNewOnes() throws Exception {
    ToyLanguageModel toy = new ToyLanguageModel(0, 4096);
    model = toy;
    LanguageModel broken = new LanguageModel() {
      @Override
      public int vocabSize() {
        return toy.vocabSize();
      }

      @Override
      public int contextLength() {
        return toy.contextLength();
      }

      @Override
      public SequenceCache newCache(int capacityTokens) {
        return toy.newCache(capacityTokens);
      }

      @Override
      public float[] prefill(SequenceCache cache, int[] tokens) {
        return toy.prefill(cache, tokens);
      }

      @Override
      public float[][] decode(List<SequenceCache> caches, int[] nextTokens) {
        throw new LinkageError("simulated: decode is missing");
      }

      @Override
      public void close() {
        toy.close();
      }
    };
    engine = new Engine(broken, () -> Detokenizer.ofBytes(ToyLanguageModel.tokenBytes()), ToyLanguageModel.VOCAB,
        Set.of(ToyLanguageModel.EOS), new EngineSettings(4, 4, 64), EngineMetrics.NONE);
    engine.start();
    assertThat(engine.failure()).isNull();
    Collector c = new Collector();
    engine.submit(new GenerationRequest(new int[] {1, 2, 3}, new SamplingParams(5, 0, 1, 0, List.of()), null, c));
    assertThatThrownBy(() -> c.result.get(10, TimeUnit.SECONDS)).hasMessageContaining("the engine failed")
        .hasMessageContaining("simulated");
    assertThat(engine.failure()).contains("LinkageError", "simulated");
    assertThatThrownBy(() -> engine.submit(new GenerationRequest(new int[] {1}, new SamplingParams(5, 0, 1, 0,
        List.of()), null, new Collector()))).isInstanceOf(QueueFullException.class)
        .hasMessageContaining("must be restarted")
        .matches(e -> ((QueueFullException) e).kind() == QueueFullException.Kind.ENGINE_FAILED);
  }

  @Test
  void warmupLongerThanTheContextRunsInRoundsAndStopsAtItsTimeLimit() throws Exception {
    model = new ToyLanguageModel(0, 16);
    engine = new Engine(model, () -> Detokenizer.ofBytes(ToyLanguageModel.tokenBytes()), ToyLanguageModel.VOCAB,
        Set.of(ToyLanguageModel.EOS), new EngineSettings(4, 4, 64), EngineMetrics.NONE);
    engine.start();
    EngineWarmup.Result rounds = EngineWarmup.run(engine, new int[] {1, 2, 3}, 30, 1, List.of(),
        Duration.ofSeconds(30));
    assertThat(rounds.tokens()).isEqualTo(30);
    assertThat(rounds.requests()).isEqualTo(3);
    engine.close();

    start(2_000_000, 4, 4);
    EngineWarmup.Result cut = EngineWarmup.run(engine, new int[] {1}, 100_000, 2, List.of(),
        Duration.ofMillis(300));
    assertThat(cut.timedOut()).isTrue();
    assertThat(cut.millis()).isLessThan(10_000);
    assertThat(engine.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(model.openCaches.get()).isZero();
  }
}
