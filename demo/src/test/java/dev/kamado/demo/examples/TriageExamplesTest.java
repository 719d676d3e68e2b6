package dev.kamado.demo.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.kamado.demo.data.DatasetFiles;
import dev.kamado.testing.RepoLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The examples agree with the demo: the ModelServer enforces exactly the demo's schema, the jobs chain. */
class TriageExamplesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static List<JsonNode> documents(String file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(RepoLayout.examples().resolve(file).toFile())) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
    }
    return docs;
  }

  @Test
  void modelServerEnforcesTheDemoSchema() throws IOException {
    JsonNode server = documents("triage-modelserver.yaml").get(0);
    ObjectNode schema = (ObjectNode) new ObjectMapper().readTree(DatasetFiles.schemaText());
    schema.remove(List.of("$schema", "title"));
    assertThat(server.at("/spec/responseSchema")).isEqualTo(schema);
    assertThat(server.at("/spec/model/fineTuneJobRef/name").asText()).isEqualTo("triage-demo-sft");
    assertThat(server.at("/spec/generation/temperature").asDouble(-1)).isZero();
  }

  @Test
  void sftIsChainedOnContinuedPretrainingAndReadsTheDemoFiles() throws IOException {
    List<JsonNode> jobs = documents("triage-finetunejobs.yaml");
    assertThat(jobs).extracting(j -> j.at("/metadata/name").asText())
        .containsExactly("triage-demo-cpt", "triage-demo-sft");
    assertThat(jobs.get(0).at("/spec/objective").asText()).isEqualTo("continued-pretraining");
    assertThat(jobs.get(0).at("/spec/dataset/uri").asText()).endsWith("/pretraining/");
    assertThat(jobs.get(1).at("/spec/baseModel/fineTuneJobRef/name").asText()).isEqualTo("triage-demo-cpt");
    assertThat(jobs.get(1).at("/spec/method/type").asText()).isEqualTo("lora");
    assertThat(jobs.get(1).at("/spec/dataset/uri").asText()).endsWith("/train.jsonl");
    assertThat(jobs.get(1).at("/spec/dataset/evalUri").asText()).endsWith("/validation.jsonl");
  }
}
