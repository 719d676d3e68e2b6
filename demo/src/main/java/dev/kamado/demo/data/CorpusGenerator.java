package dev.kamado.demo.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small domain corpus for continued pre-training: internal policy and FAQ pages in Japanese and English about the
 * triage categories, composed from the same phrase book as the inquiries (so the model meets the vocabulary of
 * systems, departments and date notations before it is fine-tuned). Deterministic for a seed.
 */
public final class CorpusGenerator {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final long seed;
  private final PhraseBook phrases;

  public CorpusGenerator(long seed, PhraseBook phrases) {
    this.seed = seed;
    this.phrases = phrases;
  }

  /** {@code count} documents. */
  public List<String> documents(int count) {
    List<String> docs = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      docs.add(document(i));
    }
    return docs;
  }

  /** The document at {@code index}: a title, an introduction and a few questions with answers. */
  public String document(int index) {
    SplittableRandom random = new SplittableRandom(seed * 0xD1B54A32D192ED03L + index * 0x94D049BB133111EBL + 7);
    String language = index % 2 == 0 ? "en" : "ja";
    boolean ja = language.equals("ja");
    int c = (index / 2) % InquiryGenerator.CATEGORIES.size();
    String category = InquiryGenerator.CATEGORIES.get(c);
    String name = phrases.list(language + ".category.names").get(c);
    List<String> pool = List.of(phrases.list("pool." + category).get(0).split(" "));
    StringBuilder b = new StringBuilder();
    String title = InquiryGenerator.pick(random, phrases.list(language + ".policy.title")).replace("{cat}", name);
    b.append(Character.toUpperCase(title.charAt(0))).append(title.substring(1)).append("\n\n");
    b.append(InquiryGenerator.pick(random, phrases.list(language + ".policy.intro")).replace("{cat}", name))
        .append("\n\n");
    List<String> topics = new ArrayList<>(phrases.list(language + ".topic." + category));
    int questions = 2 + random.nextInt(3);
    for (int q = 0; q < questions && !topics.isEmpty(); q++) {
      String topic = topics.remove(random.nextInt(topics.size())).split("\\|\\|")[0].strip();
      String sys = phrases.system(InquiryGenerator.pick(random, pool)).canonical();
      if (topic.contains("{thing}")) {
        topic = topic.replace("{thing}", InquiryGenerator.pick(random, phrases.list(language + ".thing." + category)));
      }
      topic = topic.replace("{sys}", sys);
      b.append(ja ? "Q. " : "Q: ").append(topic).append('\n');
      b.append(ja ? "A. " : "A: ");
      List<String> answers = new ArrayList<>(phrases.list(language + ".answer"));
      int n = 2 + random.nextInt(3);
      for (int a = 0; a < n; a++) {
        if (a > 0 && !ja) {
          b.append(' ');
        }
        b.append(answers.remove(random.nextInt(answers.size())).replace("{sys}", sys));
      }
      b.append("\n\n");
    }
    return b.toString().strip();
  }

  /** Writes {@code count} documents as text JSONL, one {@code {"text": ...}} per line. */
  public void write(Path file, int count) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String doc : documents(count)) {
        out.write(JSON.writeValueAsString(JSON.createObjectNode().put("text", doc)));
        out.write('\n');
      }
    }
  }
}
