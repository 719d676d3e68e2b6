package dev.kamado.server.constraint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kamado.server.schema.ConstrainedDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The request path of response formats: a new schema is warmed up once, by its first request, before it is queued. */
class ResponseConstraintsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theFirstRequestUnderANewSchemaFillsItsCachesOnceAndLaterOnesDoNot() throws Exception {
    List<byte[]> tokens = new ArrayList<>();
    for (int b = 0; b < 128; b++) {
      tokens.add(new byte[] {(byte) b});
    }
    for (String piece : List.of("\"category\"", "\"urgency\"", "billing", "\": ", "{\"", "\"}", "\", \"")) {
      tokens.add(piece.getBytes(StandardCharsets.UTF_8));
    }
    tokens.add(null); // end of sequence
    ResponseConstraints constraints = new ResponseConstraints(tokens, Set.of(tokens.size() - 1), null);
    JsonNode format = JSON.readTree("{\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"type\": \"object\","
        + " \"properties\": {\"category\": {\"enum\": [\"billing\", \"it\"]}, \"urgency\": {\"type\": \"integer\","
        + " \"minimum\": 1, \"maximum\": 5}, \"note\": {\"type\": \"string\", \"maxLength\": 37}},"
        + " \"required\": [\"category\", \"urgency\"], \"additionalProperties\": false}}}");
    ConstrainedDecoder decoder = ((SchemaTokenConstraint) constraints.forRequest(format)).decoder();
    int states = decoder.statesBuilt();
    int masks = decoder.trieWalks() + decoder.stringMasks() + decoder.sharedStringMasks();
    assertThat(states).as("states built by the first request's warm-up").isGreaterThan(20);
    assertThat(masks).as("masks computed by the first request's warm-up").isGreaterThan(20);
    assertThat(decoder.claimWarmup()).as("claimed by the first request").isFalse();
    ConstrainedDecoder again = ((SchemaTokenConstraint) constraints.forRequest(format)).decoder();
    assertThat(again).isSameAs(decoder);
    assertThat(again.statesBuilt()).as("a later request runs no warm-up").isEqualTo(states);
    assertThat(again.trieWalks() + again.stringMasks() + again.sharedStringMasks()).isEqualTo(masks);
  }
}
