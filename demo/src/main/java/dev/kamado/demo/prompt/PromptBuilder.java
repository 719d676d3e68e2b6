package dev.kamado.demo.prompt;

import dev.kamado.demo.data.Inquiry;
import java.util.ArrayList;
import java.util.List;

/**
 * The two prompt styles the demo compares on the same server:
 * <ul>
 *   <li>{@link #finetuned}: what the trained task model needs, the inquiry alone as the user turn;</li>
 *   <li>{@link #fewShot}: what a general model needs, a system turn with the instruction, the field rules and the JSON
 *       Schema, then {@code k} worked examples as user/assistant turns, then the inquiry.</li>
 * </ul>
 */
public final class PromptBuilder {
  /** The instruction a general model gets before the schema. */
  public static final String INSTRUCTION = """
      You triage internal inquiries (Japanese or English) sent to the company help desk. Read the inquiry and answer \
      with one JSON object that follows the JSON Schema below, and nothing else.
      Field rules:
      - language: "ja" if the inquiry is written in Japanese, otherwise "en".
      - category: what the inquiry is about (account access, hardware, software installation, network, email, payroll, \
      expenses, leave requests, facilities, security incidents, procurement, HR policy, or other).
      - department: the requester's own department, from the signature or introduction.
      - urgency: "critical" when a whole team cannot work, "high" when the writer asks for urgent/ASAP handling \
      (至急, 急ぎ), "low" when they say there is no rush (急ぎではありません), otherwise "normal".
      - requester: the writer's name exactly as written in the inquiry.
      - due_date: the deadline as YYYY-MM-DD, resolving dates without a year and relative dates (tomorrow, next \
      Friday, 来週の金曜日, 今月末, 令和8年 = 2026) against the "Date:" line; null when no deadline is given.
      - systems: the internal systems mentioned, by their canonical names from the schema, in order of first mention.
      - summary: one short line in the inquiry's language saying what is needed.""";

  private final String schemaJson;
  private final List<Inquiry> examples;

  /**
   * @param schemaJson the triage JSON Schema's text, embedded in the few-shot system turn
   * @param examples the worked examples (inquiry and correct record), usually from the training split
   */
  public PromptBuilder(String schemaJson, List<Inquiry> examples) {
    this.schemaJson = schemaJson.strip();
    this.examples = List.copyOf(examples);
  }

  /** The trained model's prompt: the inquiry alone. */
  public List<ChatMessage> finetuned(Inquiry inquiry) {
    return List.of(new ChatMessage("user", inquiry.text()));
  }

  /** The general model's prompt: instruction, schema, worked examples, then the inquiry. */
  public List<ChatMessage> fewShot(Inquiry inquiry) {
    List<ChatMessage> messages = new ArrayList<>();
    messages.add(new ChatMessage("system", INSTRUCTION + "\n\nJSON Schema:\n" + schemaJson));
    for (Inquiry example : examples) {
      messages.add(new ChatMessage("user", example.text()));
      messages.add(new ChatMessage("assistant", example.record().toJson()));
    }
    messages.add(new ChatMessage("user", inquiry.text()));
    return messages;
  }

  /**
   * {@code k} worked examples from {@code pool}: alternating languages, each of a category not shown yet, so a few
   * examples cover as much of the task as they can.
   */
  public static List<Inquiry> pickExamples(List<Inquiry> pool, int k) {
    List<Inquiry> picked = new ArrayList<>();
    List<String> categories = new ArrayList<>();
    for (Inquiry q : pool) {
      if (picked.size() == k) {
        break;
      }
      String wantLanguage = picked.size() % 2 == 0 ? "en" : "ja";
      if (q.record().language().equals(wantLanguage) && !categories.contains(q.record().category())
          && q.record().dueDate() != null == (picked.size() % 3 != 2)) {
        picked.add(q);
        categories.add(q.record().category());
      }
    }
    return picked;
  }
}
