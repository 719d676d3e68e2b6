package dev.kamado.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.model.Engines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reference check: tiny random models built by Python {@code transformers} (hack/reference/make_tiny_model.py) give
 * the same logits in Kamado's Java model as in transformers (within 1e-4, F32), the same 20 greedy tokens (Java via
 * prefill + KV-cache decode), the same logits with a PEFT LoRA adapter, and a Kamado-saved adapter gives the same
 * logits in Python peft.
 *
 * <p>Needs the reference venv (system property {@code kamado.reference.python}, default
 * {@code ~/.cache/kamado/reference-venv/bin/python}); without it the test fails and says how to make it.
 */
class ReferenceCheckIT {

  private static final double TOLERANCE = 1e-4;
  private static final int GREEDY = 20;
  private static final int[] PROMPT = {3, 100, 200, 300, 400, 17, 42, 250, 7};
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path work;
  static Path python;
  static Path scripts;
  static NDManager root;

  @BeforeAll
  static void setUp() {
    String configured = System.getProperty("kamado.reference.python");
    python = configured != null && !configured.isBlank() ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".cache", "kamado", "reference-venv", "bin", "python");
    if (!Files.isExecutable(python)) {
      fail("Reference Python venv not found at " + python + ": run hack/reference/setup-venv.sh (or set the system "
          + "property kamado.reference.python to its python). The reference check cannot be skipped.");
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("hack/reference/make_tiny_model.py"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      fail("cannot find hack/reference/make_tiny_model.py above " + Path.of("").toAbsolutePath());
    }
    scripts = dir.resolve("hack/reference");
    root = Engines.pytorch().newBaseManager();
  }

  @AfterAll
  static void tearDown() {
    if (root != null) {
      root.close();
    }
  }

  @Test
  void llamaUntiedMatchesTransformersWithPeftAdapter() throws Exception {
    Path model = makeModel("llama", "llama", "--seed", "1", "--untied", "--heads", "4", "--kv-heads", "1",
        "--lora-out", work.resolve("llama-lora").toString(), "--lora-rank", "4",
        "--lora-targets", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj");
    checkModel(model);
    checkPeftAdapter(model, work.resolve("llama-lora"));
  }

  @Test
  void qwen2TiedWithQkvBiasMatchesTransformersWithPeftAdapter() throws Exception {
    Path model = makeModel("qwen2", "qwen2", "--seed", "2", "--tied", "--rope-theta", "1000000",
        "--lora-out", work.resolve("qwen2-lora").toString(), "--lora-rank", "8", "--lora-targets",
        "q_proj,v_proj,down_proj");
    checkModel(model);
    checkPeftAdapter(model, work.resolve("qwen2-lora"));
  }

  @Test
  void shardedLlamaMatchesTransformers() throws Exception {
    Path model = makeModel("llama", "llama-sharded", "--seed", "3", "--max-shard-size", "50KB");
    assertThat(model.resolve("model.safetensors.index.json")).exists();
    checkModel(model);
  }

  @Test
  void bf16Qwen2MatchesTransformers() throws Exception {
    Path model = makeModel("qwen2", "qwen2-bf16", "--seed", "4", "--dtype", "bfloat16");
    checkModel(model);
  }

  @Test
  void kamadoAdapterLoadsInPeftWithTheSameLogits() throws Exception {
    Path model = makeModel("qwen2", "qwen2-for-kamado-lora", "--seed", "5");
    Path adapterDir = work.resolve("kamado-lora");
    float[][] javaLogits;
    try (NDManager m = root.newSubManager(); LlamaModel llama = LlamaModel.load(model, m)) {
      LoraAdapter lora = LoraAdapter.create(llama,
          new LoraConfig(4, 16, 0.1, List.of("q_proj", "k_proj", "v_proj", "o_proj", "up_proj")), 11);
      // B starts at zero (a no-op adapter); give it values so that the check means something
      java.util.Random rnd = new java.util.Random(12);
      for (var e : lora.parameters().entrySet()) {
        if (e.getKey().contains("lora_B")) {
          float[] v = new float[(int) e.getValue().size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * 0.05);
          }
          e.getValue().set(v);
        }
      }
      lora.save(adapterDir, model.toString());
      llama.attach(lora);
      javaLogits = forwardLogits(llama, m);
    }
    JsonNode ref = reference(model, adapterDir, 0);
    assertClose(javaLogits, ref.get("logits"), "Kamado adapter in peft");
  }

  private void checkModel(Path model) throws Exception {
    JsonNode ref = reference(model, null, GREEDY);
    assertThat(ref.get("greedy_consistent").asBoolean()).as("transformers' own greedy check").isTrue();
    try (NDManager m = root.newSubManager(); LlamaModel llama = LlamaModel.load(model, m)) {
      assertClose(forwardLogits(llama, m), ref.get("logits"), model.getFileName() + " forward");
      int[] expected = ints(ref.get("greedy_ids"));
      assertThat(greedy(llama, PROMPT, GREEDY)).as(model.getFileName() + " greedy tokens").containsExactly(expected);
    }
  }

  private void checkPeftAdapter(Path model, Path adapterDir) throws Exception {
    JsonNode ref = reference(model, adapterDir, GREEDY);
    try (NDManager m = root.newSubManager(); LlamaModel llama = LlamaModel.load(model, m);
        LoraAdapter lora = LoraAdapter.load(adapterDir, llama)) {
      llama.attach(lora);
      float[][] base = null;
      assertClose(forwardLogits(llama, m), ref.get("logits"), adapterDir.getFileName() + " forward");
      assertThat(greedy(llama, PROMPT, GREEDY)).as("greedy tokens with the adapter")
          .containsExactly(ints(ref.get("greedy_ids")));
      llama.detach();
      base = forwardLogits(llama, m);
      double effect = maxDiff(base, ref.get("logits"));
      assertThat(effect).as("the adapter changes the logits").isGreaterThan(1e-3);
    }
  }

  private static float[][] forwardLogits(LlamaModel llama, NDManager parent) {
    try (NDManager step = parent.newSubManager()) {
      long[] ids = Arrays.stream(PROMPT).asLongStream().toArray();
      NDArray logits = llama.forward(step.create(ids, new Shape(1, PROMPT.length)), null, false);
      int vocab = llama.config().vocabSize();
      float[] flat = logits.toFloatArray();
      float[][] out = new float[PROMPT.length][];
      for (int t = 0; t < PROMPT.length; t++) {
        out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
      }
      return out;
    }
  }

  static int[] greedy(LlamaModel llama, int[] prompt, int count) {
    int[] out = new int[count];
    try (KvCache cache = llama.newCache(prompt.length + count)) {
      float[] logits = llama.prefill(cache, prompt);
      for (int i = 0; i < count; i++) {
        out[i] = argmax(logits);
        if (i + 1 < count) {
          logits = llama.decode(List.of(cache), new int[] {out[i]})[0];
        }
      }
    }
    return out;
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  private static void assertClose(float[][] actual, JsonNode expected, String what) {
    assertThat(actual.length).as(what + ": positions").isEqualTo(expected.size());
    assertThat(actual[0].length).as(what + ": vocabulary").isEqualTo(expected.get(0).size());
    double diff = maxDiff(actual, expected);
    System.out.printf("%s: max |java - transformers| = %.3g%n", what, diff);
    assertThat(diff).as(what + ": max |java - transformers| logit").isLessThanOrEqualTo(TOLERANCE);
  }

  private static double maxDiff(float[][] actual, JsonNode expected) {
    double max = 0;
    for (int t = 0; t < actual.length; t++) {
      for (int v = 0; v < actual[t].length; v++) {
        max = Math.max(max, Math.abs(actual[t][v] - (float) expected.get(t).get(v).asDouble()));
      }
    }
    return max;
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  private static Path makeModel(String arch, String name, String... extra) throws Exception {
    Path out = work.resolve(name);
    List<String> cmd = new ArrayList<>(List.of(scripts.resolve("make_tiny_model.py").toString(), "--arch", arch,
        "--out", out.toString()));
    cmd.addAll(List.of(extra));
    run(cmd);
    return out;
  }

  private static JsonNode reference(Path model, Path adapter, int greedy) throws Exception {
    Path out = Files.createTempFile(work, "ref-", ".json");
    List<String> cmd = new ArrayList<>(List.of(scripts.resolve("reference_logits.py").toString(), "--model",
        model.toString(), "--prompt-ids", Arrays.toString(PROMPT).replaceAll("[\\[\\] ]", ""), "--out",
        out.toString(), "--greedy", Integer.toString(greedy)));
    if (adapter != null) {
      cmd.addAll(List.of("--adapter", adapter.toString()));
    }
    run(cmd);
    return JSON.readTree(out.toFile());
  }

  private static void run(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(python.toString());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + String.join(" ", cmd));
    }
    if (p.exitValue() != 0) {
      fail("failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n"
          + new String(output, StandardCharsets.UTF_8));
    }
  }
}
