package dev.kamado.demo.eval;

import java.util.Arrays;

/**
 * Latency figures of a batch of requests, in milliseconds, and the batch's throughput.
 *
 * @param count requests
 * @param p50 median
 * @param p90 90th percentile
 * @param p99 99th percentile
 * @param mean mean
 * @param max slowest
 * @param requestsPerSecond requests completed per second of the batch's wall time
 */
public record LatencyStats(int count, double p50, double p90, double p99, double mean, double max,
    double requestsPerSecond) {

  /** Figures for these latencies, sent in {@code wallSeconds}. */
  public static LatencyStats of(double[] latenciesMs, double wallSeconds) {
    if (latenciesMs.length == 0 || wallSeconds <= 0) {
      throw new IllegalArgumentException("latency figures need at least one request and a positive wall time");
    }
    double[] sorted = latenciesMs.clone();
    Arrays.sort(sorted);
    return new LatencyStats(sorted.length, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
        Arrays.stream(sorted).average().orElse(0), sorted[sorted.length - 1], sorted.length / wallSeconds);
  }

  /** The {@code p}th percentile of sorted values, interpolated linearly between ranks (as numpy's default). */
  public static double percentile(double[] sorted, double p) {
    if (sorted.length == 1) {
      return sorted[0];
    }
    double rank = p / 100.0 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
  }
}
