package dev.kamado.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
