package dev.kamado.demo.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Train, validation and test splits of generated inquiries. Inquiries are generated in index order and a text
 * already taken is skipped, so no text appears twice, let alone in two splits.
 *
 * @param train training inquiries
 * @param validation validation inquiries (evaluation loss during training)
 * @param test held-out inquiries the demo sends to the server
 */
public record TriageDataset(List<Inquiry> train, List<Inquiry> validation, List<Inquiry> test) {

  /** Split sizes. */
  public record Sizes(int train, int validation, int test) {
    public Sizes {
      if (train < 1 || validation < 0 || test < 1) {
        throw new IllegalArgumentException("split sizes must be train >= 1, validation >= 0, test >= 1; got "
            + train + "/" + validation + "/" + test);
      }
    }
  }

  /** Generates the splits from {@code seed}, every split with the natural mix of deadline forms. */
  public static TriageDataset generate(long seed, Sizes sizes) {
    return generate(seed, sizes, DeadlineMix.NATURAL);
  }

  /**
   * Generates the splits from {@code seed}, the training split with {@code trainingMix}. Validation and test are
   * exactly those of the natural splits; each training inquiry is the natural one at its index written with
   * {@code trainingMix} (kept natural in the rare case that its text is already taken).
   */
  public static TriageDataset generate(long seed, Sizes sizes, DeadlineMix trainingMix) {
    TriageDataset natural = generateNatural(seed, sizes);
    if (trainingMix.natural()) {
      return natural;
    }
    InquiryGenerator generator = new InquiryGenerator(seed, PhraseBook.standard());
    Set<String> taken = new HashSet<>();
    for (List<Inquiry> split : List.of(natural.train(), natural.validation(), natural.test())) {
      split.forEach(q -> taken.add(q.text()));
    }
    List<Inquiry> train = new ArrayList<>(natural.train().size());
    for (Inquiry q : natural.train()) {
      Inquiry mixed = generator.generate(indexOf(q), trainingMix);
      train.add(mixed.text().equals(q.text()) || taken.add(mixed.text()) ? mixed : q);
    }
    return new TriageDataset(List.copyOf(train), natural.validation(), natural.test());
  }

  private static int indexOf(Inquiry q) {
    return Integer.parseInt(q.id().substring(q.id().lastIndexOf('-') + 1));
  }

  private static TriageDataset generateNatural(long seed, Sizes sizes) {
    InquiryGenerator generator = new InquiryGenerator(seed, PhraseBook.standard());
    Set<String> seen = new HashSet<>();
    List<Inquiry> train = new ArrayList<>(sizes.train());
    List<Inquiry> validation = new ArrayList<>(sizes.validation());
    List<Inquiry> test = new ArrayList<>(sizes.test());
    int total = sizes.train() + sizes.validation() + sizes.test();
    int index = 0;
    while (train.size() + validation.size() + test.size() < total) {
      Inquiry inquiry = generator.generate(index++);
      if (!seen.add(inquiry.text())) {
        continue;
      }
      if (train.size() < sizes.train()) {
        train.add(inquiry);
      } else if (validation.size() < sizes.validation()) {
        validation.add(inquiry);
      } else {
        test.add(inquiry);
      }
    }
    return new TriageDataset(List.copyOf(train), List.copyOf(validation), List.copyOf(test));
  }

  /**
   * Unlabelled "past" inquiries, as a company's ticket archive would hold them: generated from a seed derived from
   * {@code seed}, skipping every text of {@code splits}, so that no test inquiry is seen before the test.
   */
  public static List<String> archive(long seed, int count, TriageDataset splits) {
    Set<String> taken = new HashSet<>();
    for (List<Inquiry> split : List.of(splits.train(), splits.validation(), splits.test())) {
      split.forEach(q -> taken.add(q.text()));
    }
    InquiryGenerator generator = new InquiryGenerator(seed * 31 + 0x5EED_A4C1L, PhraseBook.standard());
    List<String> texts = new ArrayList<>(count);
    for (int index = 0; texts.size() < count; index++) {
      String text = generator.generate(index).text();
      if (taken.add(text)) {
        texts.add(text);
      }
    }
    return List.copyOf(texts);
  }
}
