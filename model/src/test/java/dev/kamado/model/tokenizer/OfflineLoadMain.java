package dev.kamado.model.tokenizer;

import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Child process of {@link NativeLibraryOfflineTest}: records every URL connection Java attempts (through the default
 * proxy selector), loads a tokenizer, and prints the ids of one encoding and the attempted URLs.
 */
public final class OfflineLoadMain {

  private OfflineLoadMain() {
  }

  /** args[0]: model folder. */
  public static void main(String[] args) throws Exception {
    List<URI> attempts = new ArrayList<>();
    ProxySelector.setDefault(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        synchronized (attempts) {
          attempts.add(uri);
        }
        throw new IllegalStateException("network use is not allowed: " + uri);
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
      }
    });
    try (TextTokenizer tok = TextTokenizer.load(Path.of(args[0]))) {
      System.out.println("ids=" + Arrays.toString(tok.encode("Hello world", true)));
    }
    System.out.println("attempts=" + attempts);
  }
}
