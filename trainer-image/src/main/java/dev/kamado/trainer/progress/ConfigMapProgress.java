package dev.kamado.trainer.progress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kamado.api.training.ProgressReport;
import dev.kamado.api.training.TrainerContract;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's live-progress path: a JSON merge patch of the progress ConfigMap's {@code data.progress.json} with
 * the {@link ProgressReport}, authenticated with the pod's service account token, over TLS checked against the
 * cluster CA. Sent from a background thread so training never waits for the API server; when reports come faster
 * than they are delivered only the newest is sent. API errors are logged (once per distinct error) and training
 * goes on.
 */
public final class ConfigMapProgress implements ProgressSink {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigMapProgress.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesEndpoint endpoint;
  private final HttpClient http;
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "progress-configmap");
    t.setDaemon(true);
    return t;
  });
  private final AtomicReference<ProgressReport> pending = new AtomicReference<>();
  private volatile String lastError;
  private volatile int delivered;

  /**
   * A sink for {@code endpoint}.
   *
   * @throws IOException when the CA file cannot be read
   * @throws GeneralSecurityException when it holds no usable certificate
   */
  public ConfigMapProgress(KubernetesEndpoint endpoint) throws IOException, GeneralSecurityException {
    this.endpoint = endpoint;
    this.http = HttpClient.newBuilder()
        .sslContext(endpoint.sslContext())
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** Reports delivered with a 2xx answer so far. */
  public int delivered() {
    return delivered;
  }

  @Override
  public void report(ProgressReport report) {
    if (pending.getAndSet(report) == null) {
      sender.execute(this::sendPending);
    }
  }

  private void sendPending() {
    ProgressReport report = pending.getAndSet(null);
    if (report != null) {
      send(report);
    }
  }

  /** Sends one report now, on the calling thread; returns the HTTP status, or -1 when no answer came. */
  int send(ProgressReport report) {
    try {
      ObjectNode patch = JSON.createObjectNode();
      patch.putObject("data").put(TrainerContract.PROGRESS_KEY, JSON.writeValueAsString(report));
      String token = Files.readString(endpoint.tokenFile()).trim();
      HttpRequest request = HttpRequest.newBuilder(endpoint.configMapUri())
          .timeout(Duration.ofSeconds(15))
          .header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/merge-patch+json")
          .header("Accept", "application/json")
          .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(patch)))
          .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 == 2) {
        delivered++;
        if (lastError != null) {
          LOG.info("Progress ConfigMap {}/{} is reachable again", endpoint.namespace(), endpoint.configMap());
          lastError = null;
        }
      } else {
        problem("HTTP " + response.statusCode() + ": " + abbreviate(response.body()));
      }
      return response.statusCode();
    } catch (JsonProcessingException e) {
      problem("cannot serialise the report: " + e.getOriginalMessage());
    } catch (IOException e) {
      problem(e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return -1;
  }

  private void problem(String error) {
    if (!error.equals(lastError)) {
      LOG.warn("Cannot update progress ConfigMap {}/{} ({}); training goes on", endpoint.namespace(),
          endpoint.configMap(), error);
      lastError = error;
    }
  }

  private static String abbreviate(String s) {
    String one = s == null ? "" : s.replaceAll("\\s+", " ");
    return one.length() > 300 ? one.substring(0, 300) + "..." : one;
  }

  /** Delivers the newest pending report (waiting up to 10 s) and stops the sender thread. */
  @Override
  public void close() {
    sender.execute(this::sendPending);
    sender.shutdown();
    try {
      if (!sender.awaitTermination(10, TimeUnit.SECONDS)) {
        sender.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sender.shutdownNow();
    }
  }
}
