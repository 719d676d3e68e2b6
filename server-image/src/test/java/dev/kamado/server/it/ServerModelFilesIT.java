package dev.kamado.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Model folders and command lines: manifest digests, corrupt models, LoRA adapter folders, invalid settings. */
class ServerModelFilesIT {

  static Path work;
  static Path model;

  @BeforeAll
  static void writeModel() throws Exception {
    work = Files.createTempDirectory("kamado-server-files");
    model = TinyModel.write(work.resolve("tiny"), 512, 64, 1, 256, 9);
  }

  @AfterAll
  static void clean() throws Exception {
    TinyModel.delete(work);
  }

  /** The trainer's model digest, written out independently of the server's code. */
  static String trainerDigest(Path dir) throws Exception {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(Files::isRegularFile).filter(p -> {
        String n = p.getFileName().toString().toLowerCase();
        return !n.startsWith(".") && !n.equals("kamado-manifest.json") && (n.endsWith(".safetensors")
            || n.endsWith(".json") || n.endsWith(".model") || n.endsWith(".txt"));
      }).sorted().toList();
    }
    MessageDigest folder = MessageDigest.getInstance("SHA-256");
    for (Path f : files) {
      folder.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
      folder.update((byte) 0);
      folder.update(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)))
          .getBytes(StandardCharsets.US_ASCII));
      folder.update((byte) '\n');
    }
    return "sha256:" + HexFormat.of().formatHex(folder.digest());
  }

  static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> list = Files.list(from)) {
      for (Path f : list.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  static void writeManifest(Path dir) throws Exception {
    Files.writeString(dir.resolve("kamado-manifest.json"), "{\"model\": {\"uri\": \"pvc://models/tiny\", \"digest\": \""
        + trainerDigest(dir) + "\"}, \"run\": {\"name\": \"test\"}}");
  }

  static int exitCode(Process process) throws InterruptedException {
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return process.exitValue();
  }

  static String log(Process process) throws IOException {
    return Files.readString(work.resolve("server-" + process.pid() + ".log"));
  }

  @Test
  void matchingManifestIsServedAndACorruptedWeightFileIsRefused() throws Exception {
    Path good = copy(model, work.resolve("with-manifest"));
    writeManifest(good);
    try (ServerProcess server = ServerProcess.start(work, "--model", good.toString(), "--port", "0")) {
      server.awaitReady();
      assertThat(server.logText()).contains("1 digest(s) from kamado-manifest.json match");
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
    Path bad = copy(good, work.resolve("corrupt"));
    try (RandomAccessFile file = new RandomAccessFile(bad.resolve("model.safetensors").toFile(), "rw")) {
      file.seek(file.length() - 3);
      int b = file.read();
      file.seek(file.length() - 3);
      file.write(b ^ 0x01);
    }
    Process process = ServerProcess.launch(work, "--model", bad.toString(), "--port", "0");
    assertThat(exitCode(process)).isEqualTo(3);
    assertThat(log(process)).contains("corrupt model", "model.digest", "kamado-manifest.json")
        .doesNotContain("Exception");
  }

  @Test
  void adapterFolderNamingItsBaseIsServed() throws Exception {
    Path adapter = TinyModel.writeAdapter(model, work.resolve("my-adapter"), 4);
    try (ServerProcess server = ServerProcess.start(work, "--model", adapter.toString(), "--port", "0")) {
      server.awaitReady();
      assertThat(ServerProcess.json(server.get("/v1/models").body()).path("data").get(0).path("id").asText())
          .isEqualTo("my-adapter");
      assertThat(server.post("/v1/completions", "{\"prompt\": \"hi\", \"max_tokens\": 4}").statusCode())
          .isEqualTo(200);
      assertThat(server.logText()).contains("with adapter");
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
  }

  /**
   * The layout the operator mounts: claims under a volumes folder, the trainer's adapter naming its base as
   * {@code pvc://claim/path}; generation defaults from the environment variables the operator sets.
   */
  @Test
  void pvcBasedAdapterWithOperatorGenerationDefaults() throws Exception {
    Path volumes = work.resolve("volumes");
    copy(model, volumes.resolve("models/bases/tiny"));
    Path adapter = TinyModel.writeAdapter(model, volumes.resolve("outputs/jobs/j1/adapter"), 5);
    Path config = adapter.resolve("adapter_config.json");
    ObjectNode json = (ObjectNode) ServerProcess.json(Files.readString(config));
    json.put("base_model_name_or_path", "pvc://models/bases/tiny");
    Files.writeString(config, json.toString());
    Map<String, String> env = new HashMap<>(Map.of("KAMADO_SERVER_VOLUMES_DIR", volumes.toString(),
        "KAMADO_SERVER_DEFAULT_TEMPERATURE", "0", "KAMADO_SERVER_DEFAULT_TOP_P", "0.5"));
    String prompt = "{\"prompt\": \"The weather\", \"max_tokens\": 24, \"ignore_eos\": true";
    String full;
    try (ServerProcess server = ServerProcess.start(work, env, "--model", adapter.toString(), "--port", "0")) {
      server.awaitReady();
      assertThat(server.logText()).contains("with adapter");
      // no temperature in the request: the default 0 makes it greedy, so repeats agree
      full = text(server.post("/v1/completions", prompt + "}"));
      assertThat(text(server.post("/v1/completions", prompt + "}"))).isEqualTo(full);
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
    // a default stop string taken from the middle of that answer cuts it there
    int cut = full.length() / 2;
    while (cut < full.length() - 1 && full.indexOf(full.substring(cut, cut + 2)) != cut) {
      cut++;
    }
    assertThat(cut).as("answer %s", full).isLessThan(full.length() - 1);
    String stop = full.substring(cut, cut + 2);
    env.put("KAMADO_SERVER_DEFAULT_STOP", ServerProcess.JSON.writeValueAsString(List.of(stop)));
    try (ServerProcess server = ServerProcess.start(work, env, "--model", adapter.toString(), "--port", "0")) {
      server.awaitReady();
      JsonNode cutAnswer = ServerProcess.json(server.post("/v1/completions", prompt + "}").body());
      assertThat(cutAnswer.path("choices").get(0).path("text").asText()).isEqualTo(full.substring(0, cut));
      assertThat(cutAnswer.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
      // a request's own stop list replaces the default
      assertThat(text(server.post("/v1/completions", prompt + ", \"stop\": []}"))).isEqualTo(full);
      assertThat(server.terminate(Duration.ofSeconds(60))).isZero();
    }
  }

  private static String text(java.net.http.HttpResponse<String> response) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return ServerProcess.json(response.body()).path("choices").get(0).path("text").asText();
  }

  @Test
  void invalidSettingsExitWithCode2NamingTheSetting() throws Exception {
    Process badFlag = ServerProcess.launch(work, "--model", model.toString(), "--max-running", "zero");
    assertThat(exitCode(badFlag)).isEqualTo(2);
    assertThat(log(badFlag)).contains("--max-running", "zero").doesNotContain("Exception");

    Process badEnv = ServerProcess.launch(work, Map.of("KAMADO_SERVER_GRACE_PERIOD", "soon"), "--model",
        model.toString());
    assertThat(exitCode(badEnv)).isEqualTo(2);
    assertThat(log(badEnv)).contains("KAMADO_SERVER_GRACE_PERIOD", "soon");

    Path config = work.resolve("server.yaml");
    Files.writeString(config, "max-running: 4\nmax-wating: 3\n");
    Process badFile = ServerProcess.launch(work, "--model", model.toString(), "--config", config.toString());
    assertThat(exitCode(badFile)).isEqualTo(2);
    assertThat(log(badFile)).contains("max-wating", "server.yaml");

    Process unknown = ServerProcess.launch(work, "--model", model.toString(), "--no-such-flag");
    assertThat(exitCode(unknown)).isEqualTo(2);
    assertThat(log(unknown)).contains("--no-such-flag");

    Process missing = ServerProcess.launch(work, "--model", work.resolve("nowhere").toString(), "--port", "0");
    assertThat(exitCode(missing)).isEqualTo(3);
    assertThat(log(missing)).contains("nowhere", "is not a folder");

    Process noModel = ServerProcess.launch(work);
    assertThat(exitCode(noModel)).isEqualTo(2);
    assertThat(log(noModel)).contains("--model");
  }

  @Test
  void helpListsEveryFlagAndTheEnvironmentVariables() throws Exception {
    Process help = ServerProcess.launch(work, "--help");
    assertThat(exitCode(help)).isZero();
    assertThat(log(help)).contains("--model", "--adapter", "--schema", "--max-running", "--max-waiting",
        "--grace-period", "--config", "KAMADO_SERVER_");
  }
}
