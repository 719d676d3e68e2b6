package dev.kamado.operator.autoscale;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A load generator over real HTTP whose level can be stepped while it runs: {@code clients} threads send
 * {@code /v1/completions} requests of a fixed length (ignore_eos) to the ready replicas in turn, as a Service would.
 * With a rate set, the clients together offer at most that many generated tokens per second (paced); without one
 * they send back to back (closed loop, saturating the replicas).
 */
final class SteppedLoad implements AutoCloseable {
  static final int TOKENS_PER_REQUEST = 16;
  private static final String BODY = "{\"model\":\"tiny\",\"prompt\":\"The quick brown fox\",\"max_tokens\":"
      + TOKENS_PER_REQUEST + ",\"ignore_eos\":true,\"temperature\":0}";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final Supplier<List<ServerReplica>> replicas;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong pacedTokens = new AtomicLong();
  private volatile Level level = new Level(0, 0);
  private volatile long paceStart = System.nanoTime();

  /** The level: {@code clients} senders, {@code tokensPerSecond} the paced rate (0: back to back). */
  record Level(int clients, double tokensPerSecond) {}

  SteppedLoad(Supplier<List<ServerReplica>> replicas) {
    this.replicas = replicas;
  }

  /** Switches to {@code newLevel} at once; extra threads are started, surplus ones stop after their request. */
  synchronized void step(Level newLevel) {
    paceStart = System.nanoTime();
    pacedTokens.set(0);
    level = newLevel;
    while (threads.size() < newLevel.clients()) {
      int index = threads.size();
      Thread t = new Thread(() -> client(index), "load-" + index);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private void client(int index) {
    while (!Thread.currentThread().isInterrupted()) {
      Level l = level;
      try {
        if (index >= l.clients()) {
          Thread.sleep(100);
          continue;
        }
        if (l.tokensPerSecond() > 0) {
          long due = paceStart + (long) (pacedTokens.getAndAdd(TOKENS_PER_REQUEST) / l.tokensPerSecond() * 1e9);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        }
        List<ServerReplica> ready = replicas.get();
        if (ready.isEmpty()) {
          Thread.sleep(100);
          continue;
        }
        ServerReplica target = ready.get(Math.floorMod(next.getAndIncrement(), ready.size()));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(target.uri("/v1/completions"))
            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 && response.body().contains("\"completion_tokens\":" + TOKENS_PER_REQUEST)) {
          completed.incrementAndGet();
        } else {
          failed.incrementAndGet();
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        failed.incrementAndGet(); // a replica stopping mid-request; a real client would retry
      }
    }
  }

  long completed() {
    return completed.get();
  }

  long failed() {
    return failed.get();
  }

  @Override
  public synchronized void close() throws InterruptedException {
    threads.forEach(Thread::interrupt);
    for (Thread t : threads) {
      t.join(5000);
    }
  }
}
