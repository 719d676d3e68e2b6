package dev.kamado.operator.serving;

import dev.kamado.api.v1alpha1.AutoscalerStatus;
import dev.kamado.api.v1alpha1.Autoscaling;
import dev.kamado.api.v1alpha1.AutoscalingMode;
import dev.kamado.api.v1alpha1.FineTuneJob;
import dev.kamado.api.v1alpha1.ModelServer;
import dev.kamado.api.v1alpha1.ModelServerSpec;
import dev.kamado.api.v1alpha1.ModelServerStatus;
import dev.kamado.api.v1alpha1.ReplicaRecommendation;
import dev.kamado.operator.OperatorConfig;
import dev.kamado.operator.autoscale.MetricsReading;
import dev.kamado.operator.autoscale.MetricsSource;
import dev.kamado.operator.autoscale.Recommendation;
import dev.kamado.operator.autoscale.ScalingDecision;
import dev.kamado.operator.autoscale.ScalingPolicy;
import dev.kamado.operator.autoscale.ScalingSettings;
import dev.kamado.operator.autoscale.ServerPod;
import dev.kamado.operator.model.KamadoLabels;
import dev.kamado.operator.status.Conditions;
import dev.kamado.operator.status.EventRecorder;
import dev.kamado.operator.status.StatusPatch;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a ModelServer into inference servers: resolves its model (waiting for a FineTuneJob when it names one), keeps
 * a Deployment, Service, PodDisruptionBudget and ServiceMonitor as specified, scales the Deployment on generated tokens
 * per second every few seconds, and reports versions, replicas and the autoscaler's figures in status. The spec is
 * never written; replica counts live on the Deployment and in status, and the autoscaler's window state in status, so
 * a restarted operator carries on where the last one stopped.
 */
@ControllerConfiguration(name = ModelServerReconciler.NAME)
public class ModelServerReconciler implements Reconciler<ModelServer> {
  public static final String NAME = "modelserver";
  /** How often the autoscaler reads figures and decides. */
  public static final Duration EVALUATION_INTERVAL = Duration.ofSeconds(5);
  private static final Duration EXTERNAL_POLL = Duration.ofSeconds(30);
  private static final Duration CRD_RECHECK = Duration.ofMinutes(5);
  private static final String SERVICE_MONITOR_CRD = "servicemonitors.monitoring.coreos.com";
  private static final String FIELD_MANAGER = "kamado-operator";
  private static final Logger LOG = LoggerFactory.getLogger(ModelServerReconciler.class);

  private final OperatorConfig config;
  private final Clock clock;
  private final EventRecorder events;
  private final MetricsSource metrics;
  private final Duration interval;
  /** Per ModelServer uid: hash of the Service, ConfigMap, PDB and ServiceMonitor last applied. */
  private final Map<String, String> appliedSecondaries = new ConcurrentHashMap<>();
  /** Per ModelServer uid: the last decision and the autoscaler status it wrote (see {@link AutoscalerMemory}). */
  private final AutoscalerMemory decided = new AutoscalerMemory();
  private volatile Instant serviceMonitorCheckedAt;
  private volatile Instant prunedAt;
  private volatile boolean serviceMonitorsExist;

  public ModelServerReconciler(OperatorConfig config, Clock clock, MetricsSource metrics, Duration interval) {
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    this.interval = interval;
    this.events = new EventRecorder(clock, config.identity());
  }

  @Override
  public List<EventSource<?, ModelServer>> prepareEventSources(EventSourceContext<ModelServer> context) {
    String owned = ServerResources.MODEL_SERVER_LABEL + "," + KamadoLabels.MANAGED_BY + "=" + KamadoLabels.MANAGER;
    var deployments = new InformerEventSource<>(
        InformerEventSourceConfiguration.from(Deployment.class, ModelServer.class)
            .withName("deployments")
            .withLabelSelector(owned)
            .withSecondaryToPrimaryMapper(ModelServerReconciler::byLabel)
            .build(), context);
    var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, ModelServer.class)
        .withName("server-pods")
        .withLabelSelector(owned)
        .withSecondaryToPrimaryMapper(ModelServerReconciler::byLabel)
        .build(), context);
    return List.of(deployments, pods);
  }

  @Override
  public UpdateControl<ModelServer> reconcile(ModelServer server, Context<ModelServer> context) {
    if (server.getStatus() == null) {
      server.setStatus(new ModelServerStatus());
    }
    ModelServerStatus before = StatusPatch.snapshot(server.getStatus());
    ModelServerStatus status = server.getStatus();
    ModelServerSpec spec = server.getSpec();
    KubernetesClient client = context.getClient();
    String namespace = server.getMetadata().getNamespace();
    Instant now = clock.instant();
    pruneForgotten(context, now);

    FineTuneJob job = spec.getModel().getFineTuneJobRef() == null ? null
        : client.resources(FineTuneJob.class).inNamespace(namespace)
            .withName(spec.getModel().getFineTuneJobRef().getName()).get();
    ModelResolution resolution = ModelResolution.resolve(spec.getModel(), job);
    Deployment deployment = context.getSecondaryResource(Deployment.class).orElse(null);
    List<Pod> pods = new ArrayList<>(context.getSecondaryResources(Pod.class));

    // The version to serve: the resolved one, else whatever the Deployment serves already (it keeps serving).
    ServedVersion target = resolution instanceof ModelResolution.Resolved r ? r.version()
        : deployment == null ? null : ServingStatus.versionOf(deployment.getSpec().getTemplate().getMetadata()
            .getAnnotations());

    ScalingSettings settings = settings(spec);
    int current = status.getDesiredReplicas() != null ? status.getDesiredReplicas()
        : deployment != null && deployment.getSpec().getReplicas() != null ? deployment.getSpec().getReplicas()
        : settings.minReplicas();
    int desired = autoscale(server, settings, current, pods, now, client);

    applySecondaries(client, server, desired);
    if (target != null) {
      applyDeployment(client, server, target, desired, deployment);
    }

    ServingStatus.update(server, new ServingStatus.Observed(resolution, target, deployment, pods, desired, now))
        .forEach(e -> events.record(client, server, e.type(), e.reason(), e.message()));
    UpdateControl<ModelServer> control = StatusPatch.ifChanged(server, before);
    Duration next = mode(spec) == AutoscalingMode.EXTERNAL && target != null
        && resolution instanceof ModelResolution.Resolved ? EXTERNAL_POLL : interval;
    return control.rescheduleAfter(next);
  }

  /** Decides the replica count (and records the autoscaler's figures in status). */
  private int autoscale(ModelServer server, ScalingSettings settings, int current, List<Pod> pods, Instant now,
      KubernetesClient client) {
    ModelServerSpec spec = server.getSpec();
    ModelServerStatus status = server.getStatus();
    AutoscalerStatus auto = status.getAutoscaler() == null ? new AutoscalerStatus() : status.getAutoscaler();
    status.setAutoscaler(auto);
    if (mode(spec) == AutoscalingMode.EXTERNAL) {
      int desired = settings.bound(spec.getReplicas() != null ? spec.getReplicas() : current);
      auto.setSource("external");
      auto.setTokensPerSecond(null);
      auto.setWaitingRequests(null);
      auto.setRecommendedReplicas(null);
      auto.setRecommendations(null);
      auto.setDesiredReplicas(desired);
      auto.setLastDecision("replicas set through the scale subresource (spec.replicas): " + desired);
      if (desired != current) {
        auto.setLastScaleTime(Conditions.timestamp(now));
      }
      return desired;
    }
    String uid = server.getMetadata().getUid();
    AutoscalerMemory.Decided last = decided.last(uid);
    AutoscalerStatus continued = decided.current(uid, auto);
    if (last != null && continued != auto) {
      // The cached status predates the last decision: continue from what that decision wrote, as a whole.
      auto = continued;
      status.setAutoscaler(auto);
      current = last.desiredReplicas();
    }
    List<Recommendation> window = window(auto);
    // Watch events (pods becoming ready, status patches) come more often than readings are due.
    if (last != null && Duration.between(last.readAt(), now).compareTo(interval.multipliedBy(4).dividedBy(5)) < 0) {
      auto.setDesiredReplicas(current);
      return current;
    }
    List<ServerPod> ready = pods.stream().filter(ServingStatus::isReady)
        .filter(p -> p.getStatus().getPodIP() != null)
        .map(p -> new ServerPod(p.getMetadata().getName(), p.getMetadata().getUid(), p.getStatus().getPodIP()))
        .toList();
    MetricsReading reading = metrics.read(server.getMetadata().getNamespace(), server.getMetadata().getName(),
        ServerResources.PORT, ready);
    ScalingDecision decision = ScalingPolicy.decide(settings, current, reading, window, now);

    auto.setSource(reading.source());
    if (reading instanceof MetricsReading.Figures f) {
      auto.setTokensPerSecond(round(f.tokensPerSecond()));
      auto.setWaitingRequests(round(f.waitingRequests()));
    } else {
      auto.setTokensPerSecond(null);
      auto.setWaitingRequests(null);
    }
    auto.setRecommendedReplicas(decision.recommendedReplicas());
    auto.setDesiredReplicas(decision.desiredReplicas());
    auto.setLastDecision(decision.message());
    auto.setLastReadTime(Conditions.timestamp(now));
    auto.setRecommendations(decision.recommendations().stream()
        .map(r -> new ReplicaRecommendation(Conditions.timestamp(r.time()), r.replicas())).toList());
    if (decision.changesReplicas()) {
      auto.setLastScaleTime(Conditions.timestamp(now));
      events.record(client, server, "Normal",
          decision.kind() == ScalingDecision.Kind.SCALE_UP ? "ScaledUp" : "ScaledDown", decision.message());
      LOG.info("{}/{}: {}", server.getMetadata().getNamespace(), server.getMetadata().getName(), decision.message());
    }
    decided.remember(uid, now, auto);
    return decision.desiredReplicas();
  }

  private void applyDeployment(KubernetesClient client, ModelServer server, ServedVersion target, int replicas,
      Deployment existing) {
    Deployment desired = ServerResources.deployment(server, target, config, replicas);
    if (existing != null
        && Objects.equals(existing.getSpec().getReplicas(), replicas)
        && existing.getMetadata().getAnnotations() != null
        && desired.getMetadata().getAnnotations().get(ServerResources.SPEC_HASH_ANNOTATION)
            .equals(existing.getMetadata().getAnnotations().get(ServerResources.SPEC_HASH_ANNOTATION))) {
      return;
    }
    client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
  }

  /** Service, schema ConfigMap, PodDisruptionBudget and ServiceMonitor; applied when what they should be changes. */
  private void applySecondaries(KubernetesClient client, ModelServer server, int replicas) {
    ConfigMap schema = ServerResources.schemaConfigMap(server);
    boolean pdb = replicas > 1;
    boolean monitor = serviceMonitorsExist(client);
    String hash = ServerResources.hash(Serialization.asJson(server.getSpec().getResponseSchema()) + "|" + pdb + "|"
        + monitor + "|" + server.getMetadata().getUid());
    String uid = server.getMetadata().getUid();
    if (hash.equals(appliedSecondaries.get(uid))) {
      return;
    }
    client.resource(ServerResources.service(server)).fieldManager(FIELD_MANAGER).forceConflicts()
        .serverSideApply();
    if (schema != null) {
      client.resource(schema).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }
    if (pdb) {
      client.resource(ServerResources.podDisruptionBudget(server)).fieldManager(FIELD_MANAGER).forceConflicts()
          .serverSideApply();
    } else {
      client.policy().v1().podDisruptionBudget().inNamespace(server.getMetadata().getNamespace())
          .withName(server.getMetadata().getName()).delete();
    }
    if (monitor) {
      var sm = ServerResources.serviceMonitor(server);
      client.genericKubernetesResources(sm.getApiVersion(), sm.getKind())
          .inNamespace(server.getMetadata().getNamespace())
          .resource(sm).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }
    appliedSecondaries.put(uid, hash);
  }

  /** Drops what is remembered of ModelServers that no longer exist (now and then, not on every reconciliation). */
  private void pruneForgotten(Context<ModelServer> context, Instant now) {
    Instant last = prunedAt;
    if (last != null && Duration.between(last, now).compareTo(CRD_RECHECK) < 0) {
      return;
    }
    prunedAt = now;
    Set<String> uids = new java.util.HashSet<>();
    Set<String> names = new java.util.HashSet<>();
    context.getPrimaryCache().list().forEach(s -> {
      uids.add(s.getMetadata().getUid());
      names.add(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName());
    });
    decided.retain(uids);
    appliedSecondaries.keySet().retainAll(uids);
    metrics.retain(names);
  }

  private boolean serviceMonitorsExist(KubernetesClient client) {
    Instant now = clock.instant();
    Instant checked = serviceMonitorCheckedAt;
    if (checked == null || Duration.between(checked, now).compareTo(CRD_RECHECK) > 0) {
      try {
        serviceMonitorsExist = client.apiextensions().v1().customResourceDefinitions().withName(SERVICE_MONITOR_CRD)
            .get() != null;
      } catch (KubernetesClientException e) {
        LOG.warn("Cannot tell whether {} exists ({}); not creating ServiceMonitors", SERVICE_MONITOR_CRD,
            e.getMessage());
        serviceMonitorsExist = false;
      }
      serviceMonitorCheckedAt = now;
    }
    return serviceMonitorsExist;
  }

  static ScalingSettings settings(ModelServerSpec spec) {
    Autoscaling a = spec.getAutoscaling() == null ? new Autoscaling() : spec.getAutoscaling();
    int min = Objects.requireNonNullElse(spec.getMinReplicas(), 1);
    int max = Math.max(min, Objects.requireNonNullElse(spec.getMaxReplicas(), min));
    return new ScalingSettings(min, max,
        Objects.requireNonNullElse(a.getTargetTokensPerSecondPerReplica(), 200),
        Objects.requireNonNullElse(a.getWaitingRequestsPerReplica(), 2),
        Duration.ofSeconds(Objects.requireNonNullElse(a.getScaleUpStabilizationSeconds(), 0)),
        Duration.ofSeconds(Objects.requireNonNullElse(a.getScaleDownStabilizationSeconds(), 300)));
  }

  private static AutoscalingMode mode(ModelServerSpec spec) {
    return spec.getAutoscaling() == null || spec.getAutoscaling().getMode() == null ? AutoscalingMode.TOKENS
        : spec.getAutoscaling().getMode();
  }

  private static List<Recommendation> window(AutoscalerStatus auto) {
    if (auto.getRecommendations() == null) {
      return List.of();
    }
    List<Recommendation> window = new ArrayList<>();
    for (ReplicaRecommendation r : auto.getRecommendations()) {
      try {
        if (r.getTime() != null && r.getReplicas() != null) {
          window.add(new Recommendation(Instant.parse(r.getTime()), r.getReplicas()));
        }
      } catch (DateTimeParseException e) {
        // Not written by this operator: ignore the entry.
      }
    }
    return window;
  }

  private static Double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static Set<ResourceID> byLabel(HasMetadata secondary) {
    String owner = secondary.getMetadata().getLabels() == null ? null
        : secondary.getMetadata().getLabels().get(ServerResources.MODEL_SERVER_LABEL);
    return owner == null ? Set.of() : Set.of(new ResourceID(owner, secondary.getMetadata().getNamespace()));
  }
}
