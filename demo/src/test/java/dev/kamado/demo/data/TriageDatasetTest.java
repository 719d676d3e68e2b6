package dev.kamado.demo.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.demo.eval.SchemaChecker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated dataset: deterministic, schema-valid, disjoint splits, and every field recoverable from the text. */
class TriageDatasetTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PhraseBook PHRASES = PhraseBook.standard();
  private static final DeadlineMix LEANING = new DeadlineMix(40, 30);
  private static TriageDataset dataset;
  private static TriageDataset leaning;
  /** Every inquiry of the natural splits and of the training split that leans on rare deadline forms. */
  private static List<Inquiry> all;

  @BeforeAll
  static void generate() {
    dataset = TriageDataset.generate(20261128L, new TriageDataset.Sizes(2000, 200, 200));
    leaning = TriageDataset.generate(20261128L, new TriageDataset.Sizes(2000, 200, 200), LEANING);
    all = new ArrayList<>(dataset.train());
    all.addAll(dataset.validation());
    all.addAll(dataset.test());
    all.addAll(leaning.train());
  }

  @Test
  void aTrainingDeadlineMixChangesOnlyHowTrainingDeadlinesAreWritten() {
    assertThat(leaning.validation()).isEqualTo(dataset.validation());
    assertThat(leaning.test()).isEqualTo(dataset.test());
    assertThat(leaning.train()).hasSameSizeAs(dataset.train());
    Set<String> texts = new HashSet<>();
    leaning.train().forEach(q -> texts.add(q.text()));
    leaning.validation().forEach(q -> texts.add(q.text()));
    leaning.test().forEach(q -> texts.add(q.text()));
    assertThat(texts).hasSize(2400);
    for (int i = 0; i < dataset.train().size(); i++) {
      Inquiry natural = dataset.train().get(i);
      Inquiry mixed = leaning.train().get(i);
      assertThat(mixed.id()).isEqualTo(natural.id());
      assertThat(mixed.referenceDate()).isEqualTo(natural.referenceDate());
      assertThat(mixed.record().language()).isEqualTo(natural.record().language());
      assertThat(mixed.record().category()).isEqualTo(natural.record().category());
      assertThat(mixed.record().dueDate() == null).isEqualTo(natural.record().dueDate() == null);
    }
    assertThat(relativeShare(dataset.train())).isBetween(0.14, 0.23);
    assertThat(relativeShare(dataset.test())).isBetween(0.10, 0.28);
    assertThat(relativeShare(leaning.train())).isBetween(0.35, 0.45);
    assertThat(fullWidthShare(dataset.train())).isBetween(0.09, 0.19);
    assertThat(fullWidthShare(leaning.train())).isBetween(0.25, 0.35);
    assertThat(TriageDataset.generate(20261128L, new TriageDataset.Sizes(2000, 200, 200), DeadlineMix.NATURAL))
        .isEqualTo(dataset);
  }

  private static final Pattern RELATIVE = Pattern.compile(
      "tomorrow|this Friday|next Friday|next Monday|end of (the|this) month|明日|明後日|今週の?金曜|来週の?[月金]曜|今月末");

  /** Share of the inquiries with a deadline whose deadline is written relative to the date line. */
  private static double relativeShare(List<Inquiry> split) {
    List<Inquiry> dated = split.stream().filter(q -> q.record().dueDate() != null).toList();
    return dated.stream().filter(q -> RELATIVE.matcher(body(q)).find()).count() / (double) dated.size();
  }

  /** Share of the Japanese absolute deadlines written in full-width digits. */
  private static double fullWidthShare(List<Inquiry> split) {
    List<Inquiry> absolute = split.stream().filter(q -> q.record().dueDate() != null)
        .filter(q -> q.record().language().equals("ja") && !RELATIVE.matcher(body(q)).find()).toList();
    return absolute.stream().filter(q -> body(q).matches("(?s).*[０-９].*")).count() / (double) absolute.size();
  }

  @Test
  void sameSeedGivesTheSameBytesAndAnotherSeedDoesNot(@TempDir Path dir) throws IOException {
    TriageDataset.Sizes sizes = new TriageDataset.Sizes(300, 30, 30);
    DatasetFiles.write(TriageDataset.generate(7, sizes), dir.resolve("a"));
    DatasetFiles.write(TriageDataset.generate(7, sizes), dir.resolve("b"));
    DatasetFiles.write(TriageDataset.generate(8, sizes), dir.resolve("c"));
    new CorpusGenerator(7, PHRASES).write(dir.resolve("a/corpus.jsonl"), 50);
    new CorpusGenerator(7, PHRASES).write(dir.resolve("b/corpus.jsonl"), 50);
    List<String> names;
    try (Stream<Path> files = Files.list(dir.resolve("a"))) {
      names = files.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertThat(names).contains("train.jsonl", "validation.jsonl", "test.jsonl", "records-train.jsonl",
        "records-validation.jsonl", "records-test.jsonl", "triage-schema.json", "corpus.jsonl");
    for (String name : names) {
      assertThat(Files.readAllBytes(dir.resolve("b").resolve(name))).as(name)
          .isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(name)));
    }
    assertThat(Files.readAllBytes(dir.resolve("c/train.jsonl")))
        .isNotEqualTo(Files.readAllBytes(dir.resolve("a/train.jsonl")));
  }

  @Test
  void theArchiveHoldsNoInquiryOfAnySplitAndIsTheSameForTheSameSeed() {
    TriageDataset splits = TriageDataset.generate(7, new TriageDataset.Sizes(300, 30, 30));
    List<String> archive = TriageDataset.archive(7, 500, splits);
    assertThat(archive).hasSize(500).doesNotHaveDuplicates();
    Set<String> splitTexts = new HashSet<>();
    Stream.of(splits.train(), splits.validation(), splits.test()).flatMap(List::stream)
        .forEach(q -> splitTexts.add(q.text()));
    assertThat(archive).noneMatch(splitTexts::contains);
    assertThat(TriageDataset.archive(7, 500, splits)).isEqualTo(archive);
    assertThat(TriageDataset.archive(8, 500, splits)).isNotEqualTo(archive);
  }

  @Test
  void chatLinesHoldTheInquiryAndTheCompactRecord(@TempDir Path dir) throws IOException {
    DatasetFiles.write(TriageDataset.generate(3, new TriageDataset.Sizes(20, 2, 2)), dir);
    List<String> lines = Files.readAllLines(dir.resolve("train.jsonl"));
    assertThat(lines).hasSize(20);
    JsonNode first = JSON.readTree(lines.get(0));
    assertThat(first.get("messages")).hasSize(2);
    assertThat(first.at("/messages/0/role").asText()).isEqualTo("user");
    assertThat(first.at("/messages/0/content").asText()).startsWith("Date: 20");
    assertThat(first.at("/messages/1/role").asText()).isEqualTo("assistant");
    String answer = first.at("/messages/1/content").asText();
    assertThat(answer).startsWith("{\"language\":").doesNotContain(": ").doesNotContain("\n");
    assertThat(JSON.readTree(answer).fieldNames()).toIterable().containsExactly("language", "category",
        "department", "urgency", "requester", "due_date", "systems", "summary");
  }

  @Test
  void everyRecordValidatesAgainstTheSchema() throws IOException {
    SchemaChecker checker = new SchemaChecker(JSON.readTree(DatasetFiles.schemaText()));
    for (Inquiry q : all) {
      assertThat(checker.violations(JSON.readTree(q.record().toJson()))).as(q.id()).isEmpty();
    }
  }

  @Test
  void splitsAreDisjointAndCoverEveryValue() {
    Set<String> train = new HashSet<>();
    dataset.train().forEach(q -> train.add(q.text()));
    Set<String> ids = new HashSet<>();
    for (List<Inquiry> split : List.of(dataset.train(), dataset.validation(), dataset.test())) {
      split.forEach(q -> assertThat(ids.add(q.id())).as("unique id %s", q.id()).isTrue());
    }
    for (Inquiry q : dataset.validation()) {
      assertThat(train).doesNotContain(q.text());
    }
    for (Inquiry q : dataset.test()) {
      assertThat(train).doesNotContain(q.text());
      assertThat(dataset.validation().stream().map(Inquiry::text)).doesNotContain(q.text());
    }
    assertThat(dataset.train().stream().map(q -> q.record().category()).distinct()).hasSize(13);
    assertThat(dataset.train().stream().map(q -> q.record().department()).distinct()).hasSize(10);
    assertThat(dataset.train().stream().map(q -> q.record().urgency()).distinct()).hasSize(4);
    assertThat(dataset.train().stream().flatMap(q -> q.record().systems().stream()).distinct()).hasSize(16);
    assertThat(dataset.train().stream().map(q -> q.record().language()).distinct()).hasSize(2);
    assertThat(dataset.train().stream().filter(q -> q.record().dueDate() == null).count()).isBetween(500L, 900L);
  }

  @Test
  void languageIsSignalledByTheScript() {
    Pattern kana = Pattern.compile("[\\p{IsHiragana}\\p{IsKatakana}]");
    for (Inquiry q : all) {
      assertThat(kana.matcher(q.text()).find()).as(q.text()).isEqualTo(q.record().language().equals("ja"));
    }
  }

  @Test
  void requesterAndDepartmentAreWrittenInTheText() {
    for (Inquiry q : all) {
      assertThat(q.text()).as(q.id()).contains(q.record().requester());
      String body = body(q);
      for (PhraseBook.Department d : PHRASES.departments()) {
        boolean mentioned = d.spellings(q.record().language()).stream().anyMatch(s -> mentions(body, s));
        assertThat(mentioned).as("%s mentions department %s:%n%s", q.id(), d.value(), q.text())
            .isEqualTo(d.value().equals(q.record().department()));
      }
    }
  }

  @Test
  void exactlyTheRecordedSystemsAreMentioned() {
    for (Inquiry q : all) {
      String body = body(q);
      List<String> mentioned = new ArrayList<>();
      for (PhraseBook.SystemName s : PHRASES.systems()) {
        int first = s.spellings(q.record().language()).stream().mapToInt(sp -> indexOfWord(body, sp))
            .filter(i -> i >= 0).min().orElse(-1);
        if (first >= 0) {
          mentioned.add(s.canonical());
        }
      }
      assertThat(mentioned).as("%s:%n%s", q.id(), q.text()).containsExactlyInAnyOrderElementsOf(q.record().systems());
    }
  }

  @Test
  void urgencyIsSignalledByExactlyOneMarkerOfItsLevel() {
    for (Inquiry q : all) {
      Map<String, Integer> markers = new HashMap<>();
      for (String level : List.of("low", "high", "critical")) {
        for (String phrase : PHRASES.list(q.record().language() + ".urgency." + level)) {
          if (q.text().contains(phrase)) {
            markers.merge(level, 1, Integer::sum);
          }
        }
      }
      Map<String, Integer> expected = q.record().urgency().equals("normal") ? Map.of()
          : Map.of(q.record().urgency(), 1);
      assertThat(markers).as("%s:%n%s", q.id(), q.text()).isEqualTo(expected);
    }
  }

  @Test
  void dueDateIsWrittenInTheTextAndResolvesAgainstTheReferenceDate() {
    Pattern anyDate = Pattern.compile("\\d{4}[-/]\\d{2}[-/]\\d{2}|[0-9０-９]+月[0-9０-９]+日|\\b\\d{1,2}/\\d{1,2}\\b"
        + "|\\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \\d|\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\\b|tomorrow|Friday|Monday|end of (the|this) month"
        + "|明日|明後日|来週の?[月金]曜|今週の?金曜|今月末");
    for (Inquiry q : all) {
      String body = body(q);
      assertThat(q.text()).startsWith(InquiryGenerator.header(q.referenceDate()) + "\n\n");
      if (q.record().dueDate() == null) {
        assertThat(anyDate.matcher(body).find()).as("%s has no deadline but mentions a date:%n%s", q.id(), q.text())
            .isFalse();
        continue;
      }
      LocalDate due = LocalDate.parse(q.record().dueDate());
      assertThat(due).isAfter(q.referenceDate());
      assertThat(writings(due, q.referenceDate(), q.record().language()).stream().anyMatch(body::contains))
          .as("%s: %s written in the text:%n%s", q.id(), due, q.text()).isTrue();
    }
  }

  @Test
  void summariesAreOneShortLineInTheInquirysLanguage() {
    for (Inquiry q : all) {
      String s = q.record().summary();
      assertThat(s).isNotBlank().doesNotContain("\n").doesNotContain("{");
      assertThat(s.length()).isLessThanOrEqualTo(80);
    }
  }

  @Test
  void corpusDocumentsAreBilingualPolicyPages() {
    List<String> docs = new CorpusGenerator(1, PHRASES).documents(26);
    assertThat(docs).hasSize(26).doesNotHaveDuplicates();
    assertThat(docs.get(0)).contains("Q: ").contains("A: ");
    assertThat(docs.get(1)).contains("Q. ").contains("A. ");
    assertThat(String.join("\n", docs)).doesNotContain("{");
  }

  /** The text without the header line. */
  private static String body(Inquiry q) {
    return q.text().substring(q.text().indexOf("\n\n") + 2);
  }

  /** Whether {@code spelling} occurs in {@code text}, as a whole word where the spelling is Latin. */
  private static boolean mentions(String text, String spelling) {
    return indexOfWord(text, spelling) >= 0;
  }

  private static int indexOfWord(String text, String spelling) {
    boolean latin = spelling.chars().anyMatch(c -> c < 128 && Character.isLetter(c));
    String regex = latin ? "(?<![A-Za-z])" + Pattern.quote(spelling) + "(?![A-Za-z])" : Pattern.quote(spelling);
    var m = Pattern.compile(regex).matcher(text);
    return m.find() ? m.start() : -1;
  }

  /** Every way the generator may write {@code due} in a message written on {@code ref}. */
  private static List<String> writings(LocalDate due, LocalDate ref, String language) {
    List<String> w = new ArrayList<>();
    int m = due.getMonthValue();
    int d = due.getDayOfMonth();
    String shortMonth = due.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
    String longMonth = due.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    w.add(due.toString());
    w.add(String.format(Locale.ROOT, "%d/%02d/%02d", due.getYear(), m, d));
    w.add(m + "/" + d);
    w.add(shortMonth + " " + d);
    w.add(longMonth + " " + d);
    w.add(d + " " + shortMonth);
    w.add(due.getYear() + "年" + m + "月" + d + "日");
    w.add("令和" + (due.getYear() - 2018) + "年" + m + "月" + d + "日");
    w.add(m + "月" + d + "日");
    w.add(DueDates.fullWidth(m + "月" + d + "日"));
    if (due.equals(ref.plusDays(1))) {
      w.addAll(List.of("tomorrow", "明日"));
    }
    if (due.equals(ref.plusDays(2))) {
      w.addAll(List.of("the day after tomorrow", "明後日"));
    }
    if (due.equals(ref.with(TemporalAdjusters.nextOrSame(DayOfWeek.FRIDAY)))) {
      w.addAll(List.of("this Friday", "今週の金曜日", "今週金曜"));
    }
    LocalDate nextMonday = ref.with(TemporalAdjusters.next(DayOfWeek.MONDAY));
    if (due.equals(nextMonday.plusDays(4))) {
      w.addAll(List.of("next Friday", "来週の金曜日", "来週金曜"));
    }
    if (due.equals(nextMonday)) {
      w.addAll(List.of("next Monday", "来週の月曜日", "来週月曜"));
    }
    if (due.equals(ref.with(TemporalAdjusters.lastDayOfMonth()))) {
      w.addAll(List.of("the end of the month", "the end of this month", "今月末"));
    }
    return w;
  }
}
