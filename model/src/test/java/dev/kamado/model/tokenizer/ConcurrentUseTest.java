package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One TextTokenizer shared by several threads (as the server does) gives the same results as one thread. */
class ConcurrentUseTest {

  @Test
  void threadsSharingATokenizerGetTheSameIdsAndText(@TempDir Path dir) throws Exception {
    BpeTrainer trainer = new BpeTrainer(800);
    TestCorpus.lines(2, 80_000).forEach(trainer::add);
    trainer.train().save(dir);
    List<String> texts = TestCorpus.lines(4, 20_000);
    try (TextTokenizer tok = TextTokenizer.load(dir)) {
      List<int[]> expected = new ArrayList<>();
      for (String t : texts) {
        expected.add(tok.encode(t, true));
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        for (int thread = 0; thread < 4; thread++) {
          int offset = thread;
          results.add(pool.submit(() -> {
            int checked = 0;
            for (int round = 0; round < 3; round++) {
              for (int i = 0; i < texts.size(); i++) {
                int k = (i + offset * 7) % texts.size();
                int[] ids = tok.encode(texts.get(k), true);
                assertThat(ids).isEqualTo(expected.get(k));
                assertThat(tok.decode(ids, false)).isEqualTo(texts.get(k));
                checked++;
              }
            }
            return checked;
          }));
        }
        for (Future<Integer> f : results) {
          assertThat(f.get()).isEqualTo(3 * texts.size());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
