package dev.kamado.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8AssemblerTest {

  @Test
  void multiByteCharacterSplitOverTokensComesOutWhole() {
    byte[] neko = "猫a😀".getBytes(StandardCharsets.UTF_8);
    Utf8Assembler assembler = new Utf8Assembler();
    StringBuilder out = new StringBuilder();
    for (byte b : neko) {
      String piece = assembler.append(new byte[] {b});
      assertThat(piece).doesNotContain("\uFFFD");
      out.append(piece);
    }
    assertThat(out.toString()).isEqualTo("猫a😀");
    assertThat(assembler.flush()).isEmpty();
  }

  @Test
  void incompleteTailIsFlushedWithReplacement() {
    Utf8Assembler assembler = new Utf8Assembler();
    assertThat(assembler.append(new byte[] {'x', (byte) 0xE7})).isEqualTo("x");
    assertThat(assembler.flush()).isEqualTo("\uFFFD");
  }

  @Test
  void specialTokensContributeNothing() {
    assertThat(new Utf8Assembler().append(null)).isEmpty();
  }
}
