package dev.kamado.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small synthetic corpora and datasets (English and Japanese inquiries) for process tests. */
final class TestData {
  private static final String[] SUBJECTS = {"The printer", "My laptop", "The VPN", "Payroll", "The badge reader",
      "Email", "会議室の予約", "経費精算", "The wiki", "Our build server"};
  private static final String[] PROBLEMS = {"is broken", "stopped working", "needs an update", "is slow today",
      "shows an error", "が動きません", "について質問があります"};
  private static final String[] DEPARTMENTS = {"IT", "HR", "Finance", "Facilities"};

  private TestData() {}

  static String sentence(Random r) {
    return SUBJECTS[r.nextInt(SUBJECTS.length)] + " " + PROBLEMS[r.nextInt(PROBLEMS.length)] + ". Route to "
        + DEPARTMENTS[r.nextInt(DEPARTMENTS.length)] + ".";
  }

  static Path corpus(Path file, int lines) throws IOException {
    Random r = new Random(1);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < lines; i++) {
      out.add(sentence(r));
    }
    return Files.write(file, out);
  }

  static Path textJsonl(Path file, int docs) throws IOException {
    Random r = new Random(2);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < docs; i++) {
      StringBuilder sb = new StringBuilder();
      for (int s = 0; s < 2 + r.nextInt(12); s++) {
        sb.append(sentence(r)).append(' ');
      }
      out.add("{\"text\":\"" + sb.toString().trim() + "\"}");
    }
    return Files.write(file, out);
  }

  static Path chatJsonl(Path file, int examples) throws IOException {
    Random r = new Random(3);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < examples; i++) {
      out.add("{\"messages\":[{\"role\":\"system\",\"content\":\"Triage the inquiry.\"},{\"role\":\"user\","
          + "\"content\":\"" + sentence(r) + "\"},{\"role\":\"assistant\",\"content\":\"{\\\"department\\\": \\\""
          + DEPARTMENTS[r.nextInt(DEPARTMENTS.length)] + "\\\"}\"}]}");
    }
    return Files.write(file, out);
  }

  /** A tiny random llama model with a BPE tokenizer trained on {@link #corpus}, made by the jar's init-model. */
  static Path tinyModel(Path dir) throws Exception {
    Path model = dir.resolve("tiny-model");
    if (Files.isRegularFile(model.resolve("model.safetensors"))) {
      return model;
    }
    Files.createDirectories(dir);
    Path corpus = corpus(dir.resolve("corpus.txt"), 3000);
    TrainerJar.runOk(dir.resolve("init-model.log"), "init-model", "--output", model.toString(), "--hidden", "96",
        "--layers", "3", "--heads", "4", "--kv-heads", "2", "--vocab", "600", "--tokenizer-corpus", corpus.toString(),
        "--seed", "5");
    return model;
  }
}
