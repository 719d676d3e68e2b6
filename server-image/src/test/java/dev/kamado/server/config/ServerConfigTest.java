package dev.kamado.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kamado.model.llama.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {

  @TempDir
  Path dir;

  @Test
  void flagBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
    Path file = dir.resolve("server.yaml");
    Files.writeString(file, "model: /from-file\nmax-running: 3\nmaxWaiting: 7\ngrace_period: 2m\nport: 9000\n");
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.MAX_RUNNING, "5");
    Map<String, String> env = Map.of("KAMADO_SERVER_MAX_RUNNING", "4", "KAMADO_SERVER_MAX_WAITING", "6");
    ServerConfig config = ServerConfig.resolve(flags, env, file);
    assertThat(config.model()).isEqualTo(Path.of("/from-file"));
    assertThat(config.maxRunning()).isEqualTo(5);
    assertThat(config.maxWaiting()).isEqualTo(6);
    assertThat(config.gracePeriod()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.port()).isEqualTo(9000);
    assertThat(config.host()).isEqualTo("0.0.0.0");
    assertThat(config.defaultMaxTokens()).isEqualTo(512);
    assertThat(config.verifyDigests()).isTrue();
  }

  @Test
  void decodeThreadsDefaultToAutoAndAreChecked() throws Exception {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.MODEL, "/m");
    assertThat(ServerConfig.resolve(flags, Map.of(), null).decodeThreads())
        .isEqualTo(Math.min(2, Runtime.getRuntime().availableProcessors()));
    assertThat(ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DECODE_THREADS", "3"), null).decodeThreads())
        .isEqualTo(3);
    Path file = dir.resolve("threads.yaml");
    Files.writeString(file, "decode-threads: 1\n");
    assertThat(ServerConfig.resolve(flags, Map.of(), file).decodeThreads()).isEqualTo(1);
    flags.put(Setting.DECODE_THREADS, "AUTO");
    assertThat(ServerConfig.resolve(flags, Map.of(), file).decodeThreads()).isEqualTo(ServerConfig.autoDecodeThreads());
    for (String bad : new String[] {"0", "65", "two"}) {
      flags.put(Setting.DECODE_THREADS, bad);
      assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of(), null)).hasMessageContaining("flag --decode-threads")
          .hasMessageContaining("auto or a whole number from 1 to 64").hasMessageContaining("'" + bad + "'");
    }
  }

  @Test
  void decodeModeDefaultsToJavaAndAcceptsEveryModeFromFlagEnvironmentOrFile() throws Exception {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.MODEL, "/m");
    assertThat(ServerConfig.resolve(flags, Map.of(), null).decodeMode()).isEqualTo(LlamaModel.DecodeMode.JAVA);
    assertThat(ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DECODE_MODE", "per-row"), null).decodeMode())
        .isEqualTo(LlamaModel.DecodeMode.PER_ROW);
    Path file = dir.resolve("mode.yaml");
    Files.writeString(file, "decode-mode: Batched\n");
    assertThat(ServerConfig.resolve(flags, Map.of(), file).decodeMode()).isEqualTo(LlamaModel.DecodeMode.BATCHED);
    flags.put(Setting.DECODE_MODE, "rows");
    assertThat(ServerConfig.resolve(flags, Map.of(), file).decodeMode()).isEqualTo(LlamaModel.DecodeMode.ROWS);
    flags.put(Setting.DECODE_MODE, "fast");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of(), null)).hasMessageContaining("flag --decode-mode")
        .hasMessageContaining("java, rows, batched, per-row").hasMessageContaining("'fast'");
  }

  @Test
  void warmupStepsAndTimeoutHaveDefaultsAndAreChecked() throws Exception {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.MODEL, "/m");
    ServerConfig defaults = ServerConfig.resolve(flags, Map.of(), null);
    assertThat(defaults.warmupSteps()).isEqualTo(256);
    assertThat(defaults.warmupTimeout()).isEqualTo(Duration.ofSeconds(20));
    ServerConfig fromEnv = ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_WARMUP_STEPS", "0",
        "KAMADO_SERVER_WARMUP_TIMEOUT", "1m"), null);
    assertThat(fromEnv.warmupSteps()).isZero();
    assertThat(fromEnv.warmupTimeout()).isEqualTo(Duration.ofMinutes(1));
    flags.put(Setting.WARMUP_STEPS, "-1");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of(), null)).hasMessageContaining("flag --warmup-steps")
        .hasMessageContaining("-1");
  }

  @Test
  void jsonFileWorksToo() throws Exception {
    Path file = dir.resolve("server.json");
    Files.writeString(file, "{\"model\": \"/m\", \"warmup-delay\": \"500ms\", \"verify-digests\": false}");
    ServerConfig config = ServerConfig.resolve(Map.of(), Map.of(), file);
    assertThat(config.warmupDelay()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.verifyDigests()).isFalse();
  }

  @Test
  void errorsNameTheSettingAndItsSource() throws Exception {
    assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), Map.of(), null)).hasMessageContaining("--model");
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.MODEL, "/m");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_PORT", "tcp://10.0.0.1:80"), null))
        .hasMessageContaining("KAMADO_SERVER_PORT").hasMessageContaining("enableServiceLinks");
    flags.put(Setting.MAX_RUNNING, "0");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of(), null)).hasMessageContaining("flag --max-running")
        .hasMessageContaining("between 1");
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "model: /m\nmax-runing: 3\n");
    assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), Map.of(), file)).hasMessageContaining("max-runing")
        .hasMessageContaining("bad.yaml");
    Files.writeString(file, "model: /m\ngrace-period: soon\n");
    assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), Map.of(), file)).hasMessageContaining("'grace-period' in")
        .hasMessageContaining("soon");
  }

  @Test
  void generationDefaultsInTheOperatorsFormat() throws Exception {
    // exactly what the operator's ServerResources.env writes for spec.generation
    Map<String, String> env = Map.of("KAMADO_SERVER_MODEL", "/m", "KAMADO_SERVER_DEFAULT_TEMPERATURE", "0.2",
        "KAMADO_SERVER_DEFAULT_TOP_P", "0.9", "KAMADO_SERVER_DEFAULT_STOP", "[\"\\n\\n\",\"END\"]");
    ServerConfig config = ServerConfig.resolve(Map.of(), env, null);
    assertThat(config.defaultTemperature()).isEqualTo(0.2);
    assertThat(config.defaultTopP()).isEqualTo(0.9);
    assertThat(config.defaultStop()).containsExactly("\n\n", "END");
    assertThat(config.volumesDir()).isEqualTo(Path.of("/kamado/volumes"));

    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.DEFAULT_TEMPERATURE, "0");
    flags.put(Setting.DEFAULT_STOP, "###");
    config = ServerConfig.resolve(flags, env, null);
    assertThat(config.defaultTemperature()).isZero();
    assertThat(config.defaultStop()).containsExactly("###");

    Path file = dir.resolve("gen.yaml");
    Files.writeString(file, "model: /m\ndefault-stop: [\"</s>\", \"\\n\"]\ndefault-top-p: 0.5\nvolumes-dir: /v\n");
    config = ServerConfig.resolve(Map.of(), Map.of(), file);
    assertThat(config.defaultStop()).containsExactly("</s>", "\n");
    assertThat(config.defaultTopP()).isEqualTo(0.5);
    assertThat(config.defaultTemperature()).isEqualTo(1.0);
    assertThat(config.volumesDir()).isEqualTo(Path.of("/v"));

    config = ServerConfig.resolve(Map.of(Setting.MODEL, "/m"), Map.of(), null);
    assertThat(config.defaultStop()).isEmpty();
    assertThat(config.defaultTopP()).isEqualTo(1.0);
  }

  @Test
  void badGenerationDefaultsNameTheSetting() {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.MODEL, "/m");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DEFAULT_TEMPERATURE", "2.5"), null))
        .hasMessageContaining("KAMADO_SERVER_DEFAULT_TEMPERATURE").hasMessageContaining("at most 2");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DEFAULT_TEMPERATURE", "warm"), null))
        .hasMessageContaining("must be a number").hasMessageContaining("warm");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DEFAULT_TOP_P", "0"), null))
        .hasMessageContaining("KAMADO_SERVER_DEFAULT_TOP_P").hasMessageContaining("greater than 0");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DEFAULT_STOP", "[\"a\", 3]"), null))
        .hasMessageContaining("KAMADO_SERVER_DEFAULT_STOP").hasMessageContaining("item 1");
    assertThatThrownBy(() -> ServerConfig.resolve(flags, Map.of("KAMADO_SERVER_DEFAULT_STOP", "[\"a\""), null))
        .hasMessageContaining("JSON array of strings");
    assertThatThrownBy(() -> ServerConfig.resolve(flags,
        Map.of("KAMADO_SERVER_DEFAULT_STOP", "[\"a\",\"b\",\"c\",\"d\",\"e\"]"), null))
        .hasMessageContaining("at most 4");
  }
}
