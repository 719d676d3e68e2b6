package dev.kamado.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.model.safetensors.SafetensorsFile;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Training throughput of the Kamado trainer (the jar, as a process) against Python transformers (+ peft for LoRA),
 * hack/reference/train_bench_hf.py, on the same random models (about 10M and 50M parameters, written by the jar's
 * init-model), one CPU thread each, measured in the same run one after the other, in two shapes:
 *
 * <ul>
 *   <li>{@code text}: continued pre-training on the same text, packed rows of 256 tokens, batch 4, every token a
 *       label;
 *   <li>{@code sft}: supervised fine-tuning on the same chat examples (triage-like: a short system prompt, an
 *       inquiry of varying length, a JSON answer; loss on the answers only), one example per row padded to the
 *       longest of the batch, batch 8, length-grouped batches on both sides (Kamado's default, transformers'
 *       {@code group_by_length} sampler), one whole epoch on both sides so that both see the same tokens.
 * </ul>
 *
 * Prints tokens/s of each (real tokens, padding excluded), the ratio (Kamado / reference; goal at least 0.9), the same
 * per second of the training thread's CPU time (both sides run every operation on that one thread, so this figure
 * holds when other processes share the machine, where wall-clock ratios swing by 30 % and more) and the peak RSS of
 * each process (GNU time's maximum resident set size). Run with {@code -Pbench}; sizes with
 * {@code -Dbench.sizes=10m,50m}, shapes with {@code -Dbench.shapes=text,sft}.
 */
class TrainingThroughputBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern KAMADO_TPS = Pattern.compile("Training throughput: ([0-9.]+) tokens/s");
  private static final Pattern KAMADO_TOKENS =
      Pattern.compile("Training throughput: [0-9.]+ tokens/s \\((\\d+) tokens");
  private static final Pattern KAMADO_CPU = Pattern.compile("tokens/s \\(.*training threads' CPU [0-9.]+ s, ([0-9.]+) tokens"
      + " per CPU second\\)");
  private static final Pattern MAX_RSS = Pattern.compile("KAMADO_MAXRSS_KB=(\\d+)");

  /** A model size: name, hidden, layers, heads, intermediate, steps to time (text), chat examples (one SFT epoch). */
  private record Size(String name, int hidden, int layers, int heads, int intermediate, int steps, int sftExamples) {}

  private static final int SFT_BATCH = 8;

  @Test
  void kamadoAgainstTransformers() throws Exception {
    Path work = Files.createDirectories(Path.of("target", "bench").toAbsolutePath());
    Path python = Path.of(System.getProperty("user.home"), ".cache", "kamado", "reference-venv", "bin", "python");
    assertThat(python).as("reference venv (run hack/reference/setup-venv.sh)").exists();
    Path script = repoRoot().resolve("hack/reference/train_bench_hf.py");
    Path corpus = TestData.corpus(work.resolve("corpus.txt"), 4000);
    Path data = longDocuments(work.resolve("bench-text.jsonl"));
    List<Size> sizes = new ArrayList<>();
    for (String s : System.getProperty("bench.sizes", "10m,50m").split(",")) {
      sizes.add(s.trim().equals("50m") ? new Size("50m", 512, 14, 8, 1408, 6, 96)
          : new Size("10m", 320, 4, 5, 864, 16, 320));
    }
    List<String> shapes = List.of(System.getProperty("bench.shapes", "text,sft").split(","));
    List<String> report = new ArrayList<>();
    for (Size size : sizes) {
      Path model = work.resolve("model-" + size.name());
      if (!Files.isRegularFile(model.resolve("model.safetensors"))) {
        TrainerJar.runOk(work.resolve("init-" + size.name() + ".log"), "init-model", "--output", model.toString(),
            "--hidden", "" + size.hidden(), "--layers", "" + size.layers(), "--heads", "" + size.heads(),
            "--intermediate", "" + size.intermediate(), "--vocab", "8192", "--tokenizer-corpus", corpus.toString());
      }
      for (String method : shapes.contains("text") ? List.of("full", "lora") : List.<String>of()) {
        String tag = size.name() + "-" + method;
        Path out = work.resolve("out-" + tag);
        ResumeAfterKillIT.deleteTree(out);
        List<String> kamado = new ArrayList<>(List.of(java(), "-jar", TrainerJar.JAR.toString(), "train",
            "--base-model", model.toString(), "--dataset", data.toString(), "--format", "text", "--output",
            out.toString(), "--method", method, "--max-length", "256", "--batch-size", "4", "--packing",
            "--max-steps", "" + size.steps(), "--checkpoint-every", "0", "--log-every", "1000", "--lr", "2e-4",
            "--lora-rank", "16", "--lora-alpha", "32", "--lora-dropout", "0.05"));
        String kLog = run(work.resolve("kamado-" + tag + ".log"), kamado);
        double kTps = kamadoTps(kLog);
        double kCpu = kamadoCpuTps(kLog);
        long kRss = maxRss(kLog);

        List<String> ref = List.of(python.toString(), script.toString(), "--model", model.toString(), "--data",
            data.toString(), "--seq", "256", "--batch", "4", "--steps", "" + size.steps(), "--method", method,
            "--threads", "1", "--lr", "2e-4");
        String rLog = run(work.resolve("reference-" + tag + ".log"), ref);
        JsonNode r = JSON.readTree(rLog.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
        double rTps = r.get("tokens_per_second").asDouble();
        double rCpu = r.get("tokens_per_cpu_second").asDouble();
        long rRss = maxRss(rLog);
        report.add(line(tag, kTps, rTps, kCpu, rCpu, kRss, rRss));
        System.out.println("BENCH " + report.get(report.size() - 1));
      }
      for (String method : shapes.contains("sft") ? List.of("full", "lora") : List.<String>of()) {
        report.add(sft(work, python, script, model, size, method));
        System.out.println("BENCH " + report.get(report.size() - 1));
      }
    }
    if (Boolean.parseBoolean(System.getProperty("bench.workers", "true")) && !sizes.isEmpty()) {
      report.add(workers(work, sizes.get(0)));
      System.out.println("BENCH " + report.get(report.size() - 1));
    }
    System.out.println("\nTraining throughput, 1 thread (goal: ratio >= 0.9); text: packed rows of 256 tokens, batch 4;"
        + " sft: chat examples, answer-only loss, padded rows grouped by length, batch " + SFT_BATCH + ", one epoch;"
        + " tokens/s = real tokens per wall-clock second of the training steps, per CPU second = per second of the"
        + " training thread's CPU time (the same work; not slowed by other processes waiting for the cores)");
    report.forEach(l -> System.out.println("  " + l));
  }

  /** One SFT epoch over the same chat examples on both sides; the report line. */
  private static String sft(Path work, Path python, Path script, Path model, Size size, String method)
      throws Exception {
    String tag = size.name() + "-sft-" + method;
    Path chat = chatExamples(work.resolve("bench-chat-" + size.sftExamples() + ".jsonl"), size.sftExamples());
    Path out = work.resolve("out-" + tag);
    ResumeAfterKillIT.deleteTree(out);
    List<String> kamado = new ArrayList<>(List.of(java(), "-jar", TrainerJar.JAR.toString(), "train",
        "--base-model", model.toString(), "--dataset", chat.toString(), "--format", "chat", "--output",
        out.toString(), "--method", method, "--max-length", "1024", "--batch-size", "" + SFT_BATCH, "--no-packing",
        "--group-by-length", "--epochs", "1", "--checkpoint-every", "0", "--log-every", "1000", "--lr", "2e-4",
        "--lora-rank", "16", "--lora-alpha", "32", "--lora-dropout", "0.05"));
    String kLog = run(work.resolve("kamado-" + tag + ".log"), kamado);
    double kTps = kamadoTps(kLog);
    Matcher tokens = KAMADO_TOKENS.matcher(kLog);
    assertThat(tokens.find()).as("token count in the Kamado log").isTrue();

    List<String> ref = List.of(python.toString(), script.toString(), "--model", model.toString(), "--data",
        chat.toString(), "--format", "chat", "--group-by-length", "--batch", "" + SFT_BATCH, "--steps",
        "" + size.sftExamples() / SFT_BATCH, "--method", method, "--threads", "1", "--lr", "2e-4");
    String rLog = run(work.resolve("reference-" + tag + ".log"), ref);
    JsonNode r = JSON.readTree(rLog.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
    double rTps = r.get("tokens_per_second").asDouble();
    double rCpu = r.get("tokens_per_cpu_second").asDouble();
    // both sides trained on exactly the same examples (one epoch); a tokenisation difference would show here
    assertThat(r.get("tokens").asLong()).as("tokens in one epoch, transformers vs Kamado")
        .isEqualTo(Long.parseLong(tokens.group(1)));
    return line(tag, kTps, rTps, kamadoCpuTps(kLog), rCpu, maxRss(kLog), maxRss(rLog));
  }

  /**
   * The trainer's worker threads: one SFT epoch (full fine-tuning, batches of {@value #SFT_BATCH} as 2 micro-batches)
   * with 1 and with 2 workers; the wall-clock speed-up, and the check that both give the same weights.
   */
  private static String workers(Path work, Size size) throws Exception {
    Path model = work.resolve("model-" + size.name());
    Path chat = chatExamples(work.resolve("bench-chat-" + size.sftExamples() + ".jsonl"), size.sftExamples());
    double[] tps = new double[2];
    double[] cpu = new double[2];
    for (int w = 1; w <= 2; w++) {
      Path out = work.resolve("out-workers-" + w);
      ResumeAfterKillIT.deleteTree(out);
      String log = run(work.resolve("kamado-workers-" + w + ".log"), List.of(java(), "-jar",
          TrainerJar.JAR.toString(), "train", "--base-model", model.toString(), "--dataset", chat.toString(),
          "--format", "chat", "--output", out.toString(), "--method", "full", "--max-length", "1024", "--batch-size",
          "" + SFT_BATCH / 2, "--grad-accum", "2", "--no-packing", "--group-by-length", "--epochs", "1",
          "--checkpoint-every", "0", "--log-every", "1000", "--lr", "2e-4", "--workers", "" + w));
      tps[w - 1] = kamadoTps(log);
      cpu[w - 1] = kamadoCpuTps(log);
    }
    try (SafetensorsFile a = SafetensorsFile.open(work.resolve("out-workers-1/model.safetensors"));
        SafetensorsFile b = SafetensorsFile.open(work.resolve("out-workers-2/model.safetensors"))) {
      for (String t : a.names()) {
        // Arrays.equals compares the bits (AssertJ's element-wise comparison takes minutes on 10M floats)
        assertThat(java.util.Arrays.equals(b.floats(t), a.floats(t))).as("same weights with 1 and 2 workers, %s", t)
            .isTrue();
      }
    }
    return String.format(Locale.ROOT, "%-13s workers 1 %7.1f tokens/s, workers 2 %7.1f tokens/s: speed-up %.2fx"
        + " (same weights) | per CPU second %7.1f vs %7.1f (%d cores)", size.name() + "-sft-full", tps[0], tps[1],
        tps[1] / tps[0], cpu[0], cpu[1], Runtime.getRuntime().availableProcessors());
  }

  /** One report line: wall-clock figures and ratio, CPU-time figures and ratio, peak RSS of each process. */
  private static String line(String tag, double kTps, double rTps, double kCpu, double rCpu, long kRss, long rRss) {
    return String.format(Locale.ROOT,
        "%-13s kamado %7.1f tokens/s  transformers %7.1f tokens/s  ratio %.2fx | per CPU second: kamado %7.1f  "
            + "transformers %7.1f  ratio %.2fx | peak RSS kamado %5d MiB, transformers %5d MiB",
        tag, kTps, rTps, kTps / rTps, kCpu, rCpu, kCpu / rCpu, kRss / 1024, rRss / 1024);
  }

  /** Tokens per wall-clock second of the training steps, from the Kamado log. */
  private static double kamadoTps(String log) {
    Matcher m = KAMADO_TPS.matcher(log);
    assertThat(m.find()).as("throughput line in the Kamado log").isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** Tokens per second of the training threads' CPU time, from the Kamado log. */
  private static double kamadoCpuTps(String log) {
    Matcher m = KAMADO_CPU.matcher(log);
    assertThat(m.find()).as("training thread CPU time in the Kamado log").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static String run(Path log, List<String> command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "KAMADO_MAXRSS_KB=%M"));
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment().put("MKL_NUM_THREADS", "1");
    pb.environment().put("KAMADO_TORCH_THREADS", "1");
    Process p = pb.start();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " failed; log " + log + ":\n" + Files.readString(log));
    }
    return Files.readString(log);
  }

  private static long maxRss(String log) {
    Matcher m = MAX_RSS.matcher(log);
    long kb = 0;
    while (m.find()) {
      kb = Long.parseLong(m.group(1));
    }
    return kb;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("hack/reference"))) {
      p = p.getParent();
    }
    return p;
  }

  /**
   * Triage-like chat examples: a system prompt, an inquiry of 1 to about 12 sentences (log-normal, so lengths are
   * skewed as in real data) with a ticket number, and a JSON answer of a few fields, in English and Japanese.
   */
  static Path chatExamples(Path file, int count) throws Exception {
    Random r = new Random(11);
    String[] urgency = {"low", "normal", "high"};
    String[] departments = {"it", "hr", "finance", "facilities"};
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int sentences = (int) Math.max(1, Math.min(14, Math.round(Math.exp(1.1 + 0.6 * r.nextGaussian()))));
      StringBuilder inquiry = new StringBuilder("Ticket ").append(10000 + r.nextInt(90000)).append(": ");
      for (int s = 0; s < sentences; s++) {
        inquiry.append(TestData.sentence(r)).append(' ');
      }
      String answer = "{\\\"department\\\": \\\"" + departments[r.nextInt(departments.length)]
          + "\\\", \\\"urgency\\\": \\\"" + urgency[r.nextInt(urgency.length)]
          + "\\\", \\\"summary\\\": \\\"" + TestData.sentence(r) + "\\\"}";
      lines.add("{\"messages\":[{\"role\":\"system\",\"content\":\"Triage the inquiry as JSON.\"},"
          + "{\"role\":\"user\",\"content\":\"" + inquiry.toString().trim() + "\"},"
          + "{\"role\":\"assistant\",\"content\":\"" + answer + "\"}]}");
    }
    return Files.write(file, lines);
  }

  /** Documents of several thousand tokens, so that both sides cut full 256-token rows. */
  private static Path longDocuments(Path file) throws Exception {
    Random r = new Random(7);
    List<String> lines = new ArrayList<>();
    for (int d = 0; d < 40; d++) {
      StringBuilder sb = new StringBuilder();
      for (int s = 0; s < 400; s++) {
        sb.append(TestData.sentence(r)).append(' ');
      }
      lines.add("{\"text\":\"" + sb.toString().trim() + "\"}");
    }
    return Files.write(file, lines);
  }
}
