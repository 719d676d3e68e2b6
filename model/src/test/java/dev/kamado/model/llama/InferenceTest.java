package dev.kamado.model.llama;

import static dev.kamado.model.llama.TinyModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.kamado.model.Engines;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InferenceTest {

  static NDManager root;

  @BeforeAll
  static void engine() {
    root = Engines.pytorch().newBaseManager();
  }

  @AfterAll
  static void close() {
    root.close();
  }

  @Test
  void prefillAndDecodeMatchForward() {
    for (String type : List.of("llama", "qwen2")) {
      try (LlamaModel model = TinyModels.model(root, type, "qwen2".equals(type), 21);
          KvCache cache = model.newCache(32)) {
        int[] tokens = TinyModels.tokens(22, 12, 61);
        float[][] full = TinyModels.forwardRow(model, root, tokens);
        float[] last = model.prefill(cache, Arrays.copyOf(tokens, 5));
        assertThat(maxDiff(last, full[4])).as(type + " prefill").isLessThan(1e-5);
        // a second prefill chunk continues the sequence
        last = model.prefill(cache, Arrays.copyOfRange(tokens, 5, 8));
        assertThat(maxDiff(last, full[7])).as(type + " chunked prefill").isLessThan(1e-5);
        for (int t = 8; t < 12; t++) {
          float[] step = model.decode(List.of(cache), new int[] {tokens[t]})[0];
          assertThat(maxDiff(step, full[t])).as(type + " decode at " + t).isLessThan(1e-5);
        }
        assertThat(cache.length()).isEqualTo(12);
      }
    }
  }

  @ParameterizedTest(name = "intermediate_size {0}, {1}")
  @CsvSource({"40, BATCHED", "48, BATCHED", "128, BATCHED", "40, PER_ROW", "128, PER_ROW"})
  void decodeIsBatchInvariantBitwise(int intermediate, LlamaModel.DecodeMode mode) {
    try (LlamaModel model = TinyModels.model(root, TinyModels.config("qwen2", true, intermediate), 23)) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(4, 8, 0, List.of("q_proj", "o_proj", "up_proj")),
          3);
      TinyModels.randomiseB(lora, 4);
      model.attach(lora);
      // the CPU check must pass for these shapes on this machine, or the batched path would go untested
      assertThat(model.decodeMode()).isEqualTo(LlamaModel.DecodeMode.BATCHED);
      model.forceDecodeMode(mode);
      int sequences = 5;
      int steps = 6;
      int[][] prompts = new int[sequences][];
      int[][] next = new int[sequences][steps];
      for (int s = 0; s < sequences; s++) {
        prompts[s] = TinyModels.tokens(100 + s, 2 + 3 * s, 61);
        next[s] = TinyModels.tokens(200 + s, steps, 61);
      }
      // each sequence decoded alone
      float[][][] alone = new float[sequences][steps][];
      for (int s = 0; s < sequences; s++) {
        try (KvCache c = model.newCache(64)) {
          model.prefill(c, prompts[s]);
          for (int t = 0; t < steps; t++) {
            alone[s][t] = model.decode(List.of(c), new int[] {next[s][t]})[0];
          }
        }
      }
      // all together, and with the batch changing size (sequence s joins at step s % 3)
      List<KvCache> caches = new ArrayList<>();
      try {
        for (int s = 0; s < sequences; s++) {
          KvCache c = model.newCache(64);
          caches.add(c);
          model.prefill(c, prompts[s]);
        }
        int[] done = new int[sequences];
        for (int round = 0; round < steps + 3; round++) {
          List<KvCache> batch = new ArrayList<>();
          List<Integer> who = new ArrayList<>();
          for (int s = 0; s < sequences; s++) {
            if (round >= s % 3 && done[s] < steps) {
              batch.add(caches.get(s));
              who.add(s);
            }
          }
          if (batch.isEmpty()) {
            continue;
          }
          int[] tokens = who.stream().mapToInt(s -> next[s][done[s]]).toArray();
          float[][] out = model.decode(batch, tokens);
          for (int i = 0; i < who.size(); i++) {
            int s = who.get(i);
            assertThat(out[i]).as("sequence " + s + " step " + done[s] + " in a batch of " + who.size())
                .containsExactly(alone[s][done[s]]);
            done[s]++;
          }
        }
        assertThat(done).containsOnly(steps);
      } finally {
        caches.forEach(KvCache::close);
      }
    }
  }

  @Test
  void everyBatchSizeFromOneToFortyGivesTheSameBits() {
    try (LlamaModel model = TinyModels.model(root, TinyModels.config("llama", false, 40), 26)) {
      LoraAdapter lora = LoraAdapter.create(model, new LoraConfig(8, 16, 0, List.of("k_proj", "v_proj", "down_proj")),
          5);
      TinyModels.randomiseB(lora, 6);
      model.attach(lora);
      assertThat(model.decodeMode()).isEqualTo(LlamaModel.DecodeMode.BATCHED);
      int[] prompt = TinyModels.tokens(300, 7, 61);
      int[] next = TinyModels.tokens(301, 3, 61);
      float[][] alone = new float[next.length][];
      try (KvCache c = model.newCache(16)) {
        model.prefill(c, prompt);
        for (int t = 0; t < next.length; t++) {
          alone[t] = model.decode(List.of(c), new int[] {next[t]})[0];
        }
      }
      // sizes past GemmRowCheck.MAX_ROWS (32) are decoded in groups; the watched sequence sits at varying positions
      for (int size = 2; size <= 40; size++) {
        List<KvCache> caches = new ArrayList<>();
        try {
          int watched = new java.util.Random(size).nextInt(size);
          for (int s = 0; s < size; s++) {
            KvCache c = model.newCache(16);
            caches.add(c);
            model.prefill(c, s == watched ? prompt : TinyModels.tokens(400 + s, 1 + s % 5, 61));
          }
          for (int t = 0; t < next.length; t++) {
            int[] tokens = TinyModels.tokens(500 + size * 10 + t, size, 61);
            tokens[watched] = next[t];
            float[][] out = model.decode(caches, tokens);
            assertThat(out[watched]).as("batch of " + size + " step " + t).containsExactly(alone[t]);
          }
        } finally {
          caches.forEach(KvCache::close);
        }
      }
    }
  }

  @Test
  void cacheRefusesOverflowAndReuse() {
    try (LlamaModel model = TinyModels.model(root, "llama", false, 24)) {
      KvCache cache = model.newCache(4);
      model.prefill(cache, new int[] {1, 2, 3});
      model.decode(List.of(cache), new int[] {4});
      assertThatThrownBy(() -> model.decode(List.of(cache), new int[] {5})).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("KV cache full: holds 4 of 4 tokens");
      assertThatThrownBy(() -> model.decode(List.of(cache, cache), new int[] {5, 6}))
          .hasMessageContaining("appears twice");
      cache.clear();
      assertThat(model.prefill(cache, new int[] {1, 2, 3})).hasSize(61);
      cache.close();
      assertThatThrownBy(() -> model.prefill(cache, new int[] {1})).hasMessageContaining("closed");
    }
  }

  @Test
  void decodeLoopDoesNotLeakArrays() {
    try (NDManager owner = root.newSubManager(); LlamaModel model = TinyModels.model(owner, "qwen2", true, 25)) {
      int before = -1;
      try (KvCache a = model.newCache(16); KvCache b = model.newCache(16)) {
        for (int i = 0; i < 1000; i++) {
          if (a.remaining() == 0) {
            a.clear();
            b.clear();
          }
          if (a.length() == 0) {
            model.prefill(a, new int[] {1, 2});
            model.prefill(b, new int[] {3});
          }
          model.decode(List.of(a, b), new int[] {i % 61, (i * 7) % 61});
          if (i == 10) {
            before = owner.getManagedArrays().size();
          }
        }
        assertThat(owner.getManagedArrays().size()).isEqualTo(before);
      }
    }
  }
}
