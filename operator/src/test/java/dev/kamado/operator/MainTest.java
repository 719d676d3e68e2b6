package dev.kamado.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  private static Main parse(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main;
  }

  @Test
  void flagsBecomeTheConfiguration() {
    OperatorConfig config = parse(
        "--namespaces", "a, b,,c", "--http-port", "9090", "--leader-election", "--leader-election-namespace", "ops",
        "--identity", "pod-1", "--trainer-image", "registry.local/trainer:1", "--prometheus-url", " ").toConfig();
    assertThat(config.namespaces()).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(config.watchesAllNamespaces()).isFalse();
    assertThat(config.httpPort()).isEqualTo(9090);
    assertThat(config.leaderElection()).isTrue();
    assertThat(config.leaderElectionNamespace()).isEqualTo("ops");
    assertThat(config.identity()).isEqualTo("pod-1");
    assertThat(config.trainerImage()).isEqualTo("registry.local/trainer:1");
    assertThat(config.prometheusUrl()).as("blank means not configured").isNull();
  }

  @Test
  void noNamespacesMeansAllNamespaces() {
    OperatorConfig config = parse().toConfig();
    assertThat(config.watchesAllNamespaces()).isTrue();
    assertThat(config.identity()).isNotBlank();
  }

  @Test
  void leaderElectionWithoutANamespaceIsRefusedInOneLineNamingTheFlag() {
    StringWriter err = new StringWriter();
    int exit = Main.commandLine().setErr(new PrintWriter(err))
        .execute("--leader-election", "--leader-election-namespace", "");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().strip()).doesNotContain("\n").startsWith("kamado-operator: leader election needs")
        .contains("--leader-election-namespace").contains("POD_NAMESPACE");
  }

  @Test
  void aBadLogFormatIsAUsageErrorNamingTheFlag() {
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine().setErr(new PrintWriter(err));
    int exit = cli.execute("--log-format", "xml");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("--log-format").contains("[text, json]").contains("'xml'");
  }

  @Test
  void aNonNumericPortIsAUsageError() {
    StringWriter err = new StringWriter();
    int exit = Main.commandLine().setErr(new PrintWriter(err)).execute("--http-port", "eighty");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("--http-port").contains("eighty");
  }

  @Test
  void helpListsEveryEnvironmentVariable() {
    StringWriter out = new StringWriter();
    int exit = Main.commandLine().setOut(new PrintWriter(out)).execute("--help");
    assertThat(exit).isZero();
    assertThat(out.toString()).contains("KAMADO_WATCH_NAMESPACES", "KAMADO_HTTP_PORT", "KAMADO_LEADER_ELECTION",
        "KAMADO_TRAINER_IMAGE", "KAMADO_SERVER_IMAGE", "KAMADO_PROMETHEUS_URL", "KAMADO_LOG_FORMAT");
  }
}
