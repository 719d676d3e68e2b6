package dev.kamado.server.bench;

/** Measures this machine's single-thread sequential read bandwidth (bytes per second) over a 512 MB array. */
final class MemoryBandwidth {

  private static volatile long sink;

  private MemoryBandwidth() {
  }

  static double measure() {
    long[] data = new long[64 * 1024 * 1024];
    for (int i = 0; i < data.length; i++) {
      data[i] = i;
    }
    double best = 0;
    for (int round = 0; round < 6; round++) {
      long start = System.nanoTime();
      long a = 0;
      long b = 0;
      long c = 0;
      long d = 0;
      for (int i = 0; i < data.length; i += 4) {
        a += data[i];
        b += data[i + 1];
        c += data[i + 2];
        d += data[i + 3];
      }
      long elapsed = System.nanoTime() - start;
      sink = a + b + c + d;
      best = Math.max(best, data.length * 8.0 / (elapsed / 1e9));
    }
    return best;
  }
}
