package dev.kamado.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.kamado.model.tokenizer.BpeTrainer;
import dev.kamado.model.tokenizer.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The property test with a real byte-level BPE tokenizer: trained by Kamado's BpeTrainer on JSON and Japanese text,
 * written as a Hugging Face tokenizer.json and loaded back through TextTokenizer (GPT-2 byte alphabet, merged tokens
 * that end inside a UTF-8 character, special tokens, the tokenizer's own EOS ids).
 */
class RealTokenizerPropertyTest {

  @Test
  void randomSchemasWithATrainedTokenizer(@TempDir Path dir) throws Exception {
    BpeTrainer trainer = new BpeTrainer(1500);
    Random corpus = new Random(3);
    String[] japanese = {"東京の顧客から注文がありました。", "ログインできないという問題です。", "緊急対応をお願いします。",
        "支払いページでタイムアウトが発生しました", "優先度は高です", "要約：サーバーエラー"};
    for (int i = 0; i < 400; i++) {
      JsonNode schema = SchemaConstraintPropertyTest.randomSchema(corpus, 2, true);
      trainer.add(schema.toString());
      trainer.add(japanese[i % japanese.length] + " " + schema.path("properties").toString());
    }
    trainer.train().save(dir);
    List<byte[]> tokenBytes = new ArrayList<>();
    TokenVocabulary vocab;
    try (TextTokenizer tokenizer = TextTokenizer.load(dir)) {
      for (int id = 0; id < tokenizer.vocabSize(); id++) {
        tokenBytes.add(tokenizer.tokenBytes(id));
      }
      vocab = new TokenVocabulary(tokenBytes, tokenizer.eosIds());
    }
    // Hundreds of merged tokens beyond the 256 bytes (the trainer stops before 1500 once every word of this small
    // corpus is one token: 688 with BpeTrainer's exact pair counts).
    assertThat(vocab.size()).isGreaterThan(600);
    assertThat(vocab.maxTokenBytes()).isGreaterThan(4);
    JsonSchemaFactory oracleFactory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    Random random = new Random(99);
    int generations = 0;
    for (int i = 0; i < 300; i++) {
      JsonNode schema = SchemaConstraintPropertyTest.randomSchema(random, 3, true);
      ConstrainedDecoder decoder = ConstrainedDecoder.of(SchemaCompiler.compile(schema), vocab);
      JsonSchema oracle = oracleFactory.getSchema(schema);
      int min = decoder.minTokensToComplete(decoder.start());
      for (int budget : new int[] {min, min + 3 + random.nextInt(30), 300}) {
        RandomWalk.Generation g = RandomWalk.generate(decoder, budget, new Random(random.nextLong()));
        String text = new String(g.bytes(), StandardCharsets.UTF_8);
        assertThat(g.complete()).as("complete: %s for %s", text, schema).isTrue();
        assertThat(g.tokens()).isLessThanOrEqualTo(budget);
        JsonNode parsed = SchemaConstraintPropertyTest.parse(g);
        assertThat(oracle.validate(parsed)).as("%s against %s", text, schema).isEmpty();
        generations++;
      }
    }
    assertThat(generations).isEqualTo(900);
  }
}
