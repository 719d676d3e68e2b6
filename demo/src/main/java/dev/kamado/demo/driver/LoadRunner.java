package dev.kamado.demo.driver;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kamado.demo.prompt.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Sends a list of prompts to a server with a fixed number of requests in flight, and keeps the answers in order. */
public final class LoadRunner {
  private LoadRunner() {}

  /**
   * The answers, in prompt order, and the wall time of the whole batch.
   *
   * @param completions one per prompt
   * @param wallSeconds from the first request sent to the last answer received
   */
  public record Batch(List<ChatClient.Completion> completions, double wallSeconds) {
    /** The answers' texts, in order. */
    public List<String> contents() {
      return completions.stream().map(ChatClient.Completion::content).toList();
    }

    /** Latencies in milliseconds, in order. */
    public double[] latenciesMs() {
      return completions.stream().mapToDouble(ChatClient.Completion::latencyMs).toArray();
    }

    /** Mean prompt tokens per request, as the server counted them. */
    public double meanPromptTokens() {
      return completions.stream().mapToInt(ChatClient.Completion::promptTokens).average().orElse(0);
    }
  }

  /** Sends every prompt with {@code concurrency} requests in flight; the first failure fails the batch. */
  public static Batch run(ChatClient client, List<List<ChatMessage>> prompts, JsonNode schema, int maxTokens,
      int concurrency, ProgressBar progress) throws IOException, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, concurrency));
    try {
      long start = System.nanoTime();
      List<Future<ChatClient.Completion>> futures = new ArrayList<>(prompts.size());
      for (List<ChatMessage> prompt : prompts) {
        futures.add(pool.submit(() -> {
          ChatClient.Completion c = client.complete(prompt, schema, maxTokens);
          progress.advance(1);
          return c;
        }));
      }
      List<ChatClient.Completion> out = new ArrayList<>(prompts.size());
      for (Future<ChatClient.Completion> f : futures) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof IOException io) {
            throw io;
          }
          throw new IOException(cause.getMessage(), cause);
        }
      }
      return new Batch(out, (System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }
}
