package dev.kamado.demo.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * The triage record of one inquiry, as {@code triage-schema.json} defines it. Its compact JSON (keys in the order
 * below, no spaces) is the answer the fine-tuned model learns to give.
 *
 * @param language {@code ja} or {@code en}
 * @param category what the inquiry is about
 * @param department the requester's department
 * @param urgency {@code low}, {@code normal}, {@code high} or {@code critical}
 * @param requester the requester's name as written in the inquiry
 * @param dueDate the deadline as an ISO date, resolved against the inquiry's reference date; null when none is given
 * @param systems internal systems mentioned, canonical names in order of first mention
 * @param summary one-line summary in the inquiry's language
 */
@JsonPropertyOrder({"language", "category", "department", "urgency", "requester", "due_date", "systems", "summary"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TriageRecord(
    String language,
    String category,
    String department,
    String urgency,
    String requester,
    @JsonProperty("due_date") String dueDate,
    List<String> systems,
    String summary) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public TriageRecord {
    systems = List.copyOf(systems);
  }

  /** The compact JSON answer, byte-for-byte what the model is trained to produce. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
