package dev.kamado.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a fresh JVM with an empty DJL cache folder, loading a tokenizer extracts the native library from the DJL jar
 * and attempts no network connection at all.
 */
class NativeLibraryOfflineTest {

  @Test
  void loadsTheBundledLibraryWithoutAnyNetworkAttempt(@TempDir Path dir) throws Exception {
    Path model = SentencePieceFixture.write(dir.resolve("model"));
    Path cache = dir.resolve("djl-cache");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-DENGINE_CACHE_DIR=" + cache, "-DDJL_CACHE_DIR=" + cache,
        OfflineLoadMain.class.getName(), model.toString());
    pb.environment().remove("ENGINE_CACHE_DIR");
    pb.environment().remove("DJL_CACHE_DIR");
    pb.environment().remove("DJL_OFFLINE");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("ids=[1, 271, 276]").contains("attempts=[]");
    try (Stream<Path> files = Files.walk(cache)) {
      List<String> names = files.map(f -> f.getFileName().toString()).toList();
      assertThat(names).as("extracted into the empty cache folder " + cache + File.separator).contains("libtokenizers.so");
    }
  }
}
