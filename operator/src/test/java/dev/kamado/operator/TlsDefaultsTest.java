package dev.kamado.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class TlsDefaultsTest {
  @Test
  void everyPreferredSuiteIsOneThisJvmSupports() throws Exception {
    List<String> supported = List.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
    for (String suite : TlsDefaults.CIPHER_SUITES.split(",")) {
      assertTrue(supported.contains(suite), suite + " is not supported by this JVM");
    }
  }

  @Test
  void chaCha20ComesFirstAndAesGcmRemainsAsFallback() {
    List<String> suites = List.of(TlsDefaults.CIPHER_SUITES.split(","));
    assertEquals("TLS_CHACHA20_POLY1305_SHA256", suites.get(0));
    assertTrue(suites.contains("TLS_AES_128_GCM_SHA256"));
    assertTrue(suites.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
  }
}
