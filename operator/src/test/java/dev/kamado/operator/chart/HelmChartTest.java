package dev.kamado.operator.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the Helm chart in {@code charts/kamado} with the Helm library (no cluster) and checks the objects it
 * produces: hardening of the operator pod, least-privilege RBAC, and the optional objects.
 */
class HelmChartTest {

  /** The module's working directory is {@code operator/}; the chart lives beside it. */
  private static final Path CHART = Path.of("..", "charts", "kamado").toAbsolutePath().normalize();

  private static final String RELEASE = "kamado";
  private static final String NAMESPACE = "kamado-system";
  /** The release name contains the chart name, so the full name is the release name. */
  private static final String FULLNAME = "kamado";

  private static final List<String> ALL_WRITE_VERBS =
      List.of("get", "list", "watch", "create", "patch", "update", "delete");

  /** What the operator needs on namespaced resources, as "group/resource:verb" ("" is the core group). */
  private static final Set<String> NAMESPACED_PERMISSIONS = permissions(
      rule("kamado.dev", List.of("finetunejobs", "modelservers"), List.of("get", "list", "watch", "patch", "update")),
      rule("kamado.dev", List.of("finetunejobs/status", "modelservers/status"), List.of("get", "patch", "update")),
      rule("kamado.dev", List.of("finetunejobs/finalizers", "modelservers/finalizers"), List.of("update")),
      rule("batch", List.of("jobs"), ALL_WRITE_VERBS),
      rule("", List.of("configmaps", "services"), ALL_WRITE_VERBS),
      rule("", List.of("pods"), List.of("get", "list", "watch")),
      rule("", List.of("serviceaccounts"), List.of("get", "create", "patch", "update")),
      rule("rbac.authorization.k8s.io", List.of("roles", "rolebindings"), List.of("get", "create", "patch", "update")),
      rule("", List.of("events"), List.of("create", "patch")),
      rule("events.k8s.io", List.of("events"), List.of("create", "patch")),
      rule("apps", List.of("deployments"), ALL_WRITE_VERBS),
      rule("policy", List.of("poddisruptionbudgets"), ALL_WRITE_VERBS),
      rule("monitoring.coreos.com", List.of("servicemonitors"), ALL_WRITE_VERBS));

  /** What the operator needs on cluster-scoped resources. */
  private static final Set<String> CLUSTER_PERMISSIONS = permissions(
      rule("apiextensions.k8s.io", List.of("customresourcedefinitions"), List.of("get", "list", "watch")));

  private static final Set<String> LEADER_ELECTION_PERMISSIONS = permissions(
      rule("coordination.k8s.io", List.of("leases"), List.of("get", "list", "watch", "create", "update", "patch")));

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static final String KUBE_VERSION_LINE = "kubeVersion: \">=1.29.0-0\"";

  /**
   * The chart as rendered by the tests: a copy without the kubeVersion constraint. The Helm library in helm-java
   * 0.0.15 renders against Kubernetes v1.20.0 and offers no way to set the version, so the constraint would reject
   * every render; the constraint itself is checked on the original chart.
   */
  private static Path renderableChart;

  private static List<HasMetadata> defaults;

  @BeforeAll
  static void renderDefaults(@TempDir Path tmp) throws IOException {
    assertThat(Files.isRegularFile(CHART.resolve("Chart.yaml"))).as("chart at %s", CHART).isTrue();
    renderableChart = tmp.resolve("kamado");
    try (Stream<Path> files = Files.walk(CHART)) {
      for (Path source : files.toList()) {
        Path target = renderableChart.resolve(CHART.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
    Path chartYaml = renderableChart.resolve("Chart.yaml");
    List<String> lines = Files.readAllLines(chartYaml);
    assertThat(lines).contains(KUBE_VERSION_LINE);
    Files.write(chartYaml, lines.stream().filter(l -> !l.equals(KUBE_VERSION_LINE)).toList());
    defaults = render(Map.of());
  }

  @Test
  void chartMetadataIsAsReleased() throws IOException {
    Map<String, Object> chart = SERIALIZATION.unmarshal(Files.readString(CHART.resolve("Chart.yaml")), Map.class);

    assertThat(chart)
        .containsEntry("apiVersion", "v2")
        .containsEntry("name", "kamado")
        .containsEntry("version", "0.1.0")
        .containsEntry("appVersion", "0.1.0")
        .containsEntry("kubeVersion", ">=1.29.0-0");
    assertThat(CHART.resolve("crds/kamado.dev_finetunejobs.yaml")).isRegularFile();
    assertThat(CHART.resolve("crds/kamado.dev_modelservers.yaml")).isRegularFile();
  }

  @Test
  void lintPassesInStrictMode() {
    LintResult result = new Helm(CHART).lint().strict().call();

    assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void defaultRenderHasExactlyTheExpectedObjects() {
    Set<String> objects = defaults.stream()
        .map(o -> o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
        .collect(Collectors.toCollection(TreeSet::new));

    assertThat(objects).containsExactlyInAnyOrder(
        "ServiceAccount/" + NAMESPACE + "/" + FULLNAME,
        "ClusterRole/null/" + FULLNAME,
        "ClusterRoleBinding/null/" + FULLNAME,
        "Role/" + NAMESPACE + "/" + FULLNAME + "-leader-election",
        "RoleBinding/" + NAMESPACE + "/" + FULLNAME + "-leader-election",
        "Deployment/" + NAMESPACE + "/" + FULLNAME,
        "Service/" + NAMESPACE + "/" + FULLNAME + "-metrics",
        "PodDisruptionBudget/" + NAMESPACE + "/" + FULLNAME);
    assertThat(defaults).as("built-in kinds parse into typed objects").noneMatch(GenericKubernetesResource.class::isInstance);
    assertThat(defaults).allSatisfy(o -> assertThat(o.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/name", "kamado")
        .containsEntry("app.kubernetes.io/instance", RELEASE)
        .containsEntry("app.kubernetes.io/managed-by", "Helm")
        .containsEntry("app.kubernetes.io/version", "0.1.0")
        .containsKey("helm.sh/chart"));
    assertThat(single(defaults, ServiceAccount.class).getAutomountServiceAccountToken()).isTrue();
  }

  @Test
  void deploymentRunsTwoHardenedNonRootReplicas() {
    Deployment deployment = single(defaults, Deployment.class);
    var podSpec = deployment.getSpec().getTemplate().getSpec();
    PodSecurityContext pod = podSpec.getSecurityContext();
    Container container = podSpec.getContainers().get(0);
    SecurityContext sc = container.getSecurityContext();

    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(podSpec.getContainers()).hasSize(1);
    assertThat(podSpec.getServiceAccountName()).isEqualTo(FULLNAME);
    assertThat(container.getImage()).isEqualTo("ghcr.io/kamado-dev/kamado-operator:0.1.0");

    assertThat(pod.getRunAsNonRoot()).isTrue();
    assertThat(pod.getRunAsUser()).isEqualTo(65532L);
    assertThat(pod.getRunAsGroup()).isEqualTo(65532L);
    assertThat(pod.getFsGroup()).isEqualTo(65532L);
    assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();

    assertThat(container.getPorts()).singleElement()
        .satisfies(p -> {
          assertThat(p.getName()).isEqualTo("http");
          assertThat(p.getContainerPort()).isEqualTo(8080);
        });
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(container.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(container.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(container.getStartupProbe().getFailureThreshold() * container.getStartupProbe().getPeriodSeconds())
        .as("startup budget in seconds").isGreaterThanOrEqualTo(120);

    assertThat(container.getResources().getRequests())
        .containsEntry("cpu", new Quantity("100m"))
        .containsEntry("memory", new Quantity("256Mi"));
    assertThat(container.getResources().getLimits()).containsEntry("memory", new Quantity("512Mi"));

    Volume tmp = podSpec.getVolumes().stream().filter(v -> v.getName().equals("tmp")).findFirst().orElseThrow();
    assertThat(tmp.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("64Mi"));
    assertThat(container.getVolumeMounts())
        .anySatisfy(m -> {
          assertThat(m.getName()).isEqualTo("tmp");
          assertThat(m.getMountPath()).isEqualTo("/tmp");
        });

    assertThat(podSpec.getTopologySpreadConstraints()).singleElement().satisfies(t -> {
      assertThat(t.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
      assertThat(t.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
      assertThat(t.getLabelSelector().getMatchLabels()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    });
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void deploymentPassesTheOperatorConfigurationAsEnvironment() {
    Map<String, EnvVar> env = env(single(defaults, Deployment.class));

    assertThat(env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
    assertThat(values(env)).containsAllEntriesOf(Map.of(
        "KAMADO_WATCH_NAMESPACES", "",
        "KAMADO_TRAINER_IMAGE", "ghcr.io/kamado-dev/kamado-trainer:0.1.0",
        "KAMADO_SERVER_IMAGE", "ghcr.io/kamado-dev/kamado-server:0.1.0",
        "KAMADO_LEADER_ELECTION", "true",
        "KAMADO_LEADER_ELECTION_NAMESPACE", NAMESPACE,
        "KAMADO_LOG_FORMAT", "json",
        "KAMADO_LOG_LEVEL", "info",
        "KAMADO_PROMETHEUS_URL", "",
        "KAMADO_HTTP_PORT", "8080",
        "JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=50 -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"));

    List<HasMetadata> objects = render(Map.of(
        "leaderElection.enabled", "false",
        "trainerImage.tag", "1.2.3",
        "extraEnv[0].name", "EXTRA",
        "extraEnv[0].value", "yes"));
    assertThat(objects).as("no Lease permissions without leader election").noneMatch(Role.class::isInstance);
    Map<String, String> overridden = values(env(single(objects, Deployment.class)));
    assertThat(overridden)
        .containsEntry("KAMADO_LEADER_ELECTION", "false")
        .containsEntry("KAMADO_TRAINER_IMAGE", "ghcr.io/kamado-dev/kamado-trainer:1.2.3")
        .containsEntry("EXTRA", "yes");
  }

  @Test
  void clusterWideRbacGrantsExactlyWhatTheOperatorNeeds() {
    ClusterRole clusterRole = single(defaults, ClusterRole.class);
    Role leaderElection = single(defaults, Role.class);

    assertNoWildcardsOrSecrets(clusterRole.getRules());
    assertThat(permissions(clusterRole.getRules()))
        .isEqualTo(union(NAMESPACED_PERMISSIONS, CLUSTER_PERMISSIONS));

    assertThat(leaderElection.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertNoWildcardsOrSecrets(leaderElection.getRules());
    assertThat(permissions(leaderElection.getRules())).isEqualTo(LEADER_ELECTION_PERMISSIONS);

    ClusterRoleBinding binding = single(defaults, ClusterRoleBinding.class);
    assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
    assertThat(binding.getRoleRef().getName()).isEqualTo(clusterRole.getMetadata().getName());
    assertBindsOperatorServiceAccount(binding.getSubjects());
    RoleBinding leaderBinding = single(defaults, RoleBinding.class);
    assertThat(leaderBinding.getRoleRef().getName()).isEqualTo(leaderElection.getMetadata().getName());
    assertBindsOperatorServiceAccount(leaderBinding.getSubjects());
  }

  @Test
  void watchedNamespacesGetRolesAndTheClusterRoleKeepsOnlyClusterScopedRules() {
    List<HasMetadata> objects = render(Map.of("watchNamespaces[0]", "a", "watchNamespaces[1]", "b"));

    ClusterRole clusterRole = single(objects, ClusterRole.class);
    assertThat(permissions(clusterRole.getRules())).isEqualTo(CLUSTER_PERMISSIONS);

    Map<String, Role> namespaceRoles = ofKind(objects, Role.class)
        .filter(r -> r.getMetadata().getName().equals(FULLNAME))
        .collect(Collectors.toMap(r -> r.getMetadata().getNamespace(), Function.identity()));
    assertThat(namespaceRoles).containsOnlyKeys("a", "b");
    namespaceRoles.values().forEach(role -> {
      assertNoWildcardsOrSecrets(role.getRules());
      assertThat(permissions(role.getRules())).isEqualTo(NAMESPACED_PERMISSIONS);
    });

    Map<String, RoleBinding> namespaceBindings = ofKind(objects, RoleBinding.class)
        .filter(r -> r.getMetadata().getName().equals(FULLNAME))
        .collect(Collectors.toMap(r -> r.getMetadata().getNamespace(), Function.identity()));
    assertThat(namespaceBindings).containsOnlyKeys("a", "b");
    namespaceBindings.values().forEach(binding -> {
      assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(binding.getRoleRef().getName()).isEqualTo(FULLNAME);
      assertBindsOperatorServiceAccount(binding.getSubjects());
    });

    assertThat(ofKind(objects, Role.class).filter(r -> r.getMetadata().getName().endsWith("-leader-election")))
        .singleElement()
        .satisfies(r -> assertThat(r.getMetadata().getNamespace()).isEqualTo(NAMESPACE));
    assertThat(env(single(objects, Deployment.class)).get("KAMADO_WATCH_NAMESPACES").getValue()).isEqualTo("a,b");
  }

  @Test
  void metricsServiceSelectsTheOperatorPods() {
    Service service = single(defaults, Service.class);
    Deployment deployment = single(defaults, Deployment.class);

    assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(service.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("http-metrics");
      assertThat(p.getPort()).isEqualTo(8080);
      assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
    });
  }

  @Test
  void serviceMonitorIsRenderedOnlyWhenEnabled() {
    assertThat(defaults).noneMatch(o -> o.getKind().equals("ServiceMonitor"));

    List<HasMetadata> objects = render(Map.of(
        "metrics.serviceMonitor.enabled", "true",
        "metrics.serviceMonitor.interval", "15s",
        "metrics.serviceMonitor.labels.release", "prometheus"));
    HasMetadata monitor = objects.stream().filter(o -> o.getKind().equals("ServiceMonitor")).collect(onlyOne());

    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
    GenericKubernetesResource generic = (GenericKubernetesResource) monitor;
    assertThat(generic.<Map<String, Object>>get("spec", "selector", "matchLabels"))
        .isEqualTo(single(objects, Service.class).getSpec().getSelector());
    assertThat(generic.<List<Map<String, Object>>>get("spec", "endpoints")).singleElement().satisfies(e -> {
      assertThat(e).containsEntry("port", "http-metrics");
      assertThat(e).containsEntry("path", "/metrics");
      assertThat(e).containsEntry("interval", "15s");
    });
  }

  @Test
  void podDisruptionBudgetIsRenderedOnlyWithMoreThanOneReplica() {
    PodDisruptionBudget pdb = single(defaults, PodDisruptionBudget.class);
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .isEqualTo(single(defaults, Deployment.class).getSpec().getSelector().getMatchLabels());

    List<HasMetadata> oneReplica = render(Map.of("replicaCount", "1"));
    assertThat(single(oneReplica, Deployment.class).getSpec().getReplicas()).isEqualTo(1);
    assertThat(oneReplica).noneMatch(PodDisruptionBudget.class::isInstance);
  }

  @Test
  void valuesSchemaRejectsInvalidValues() {
    assertThatThrownBy(() -> render(Map.of("logging.level", "verbose")))
        .hasMessageContaining("logging.level");
    assertThatThrownBy(() -> render(Map.of("watchNamespaces[0]", "Not_A_Namespace")))
        .hasMessageContaining("watchNamespaces.0")
        .hasMessageContaining("pattern");
    assertThatThrownBy(() -> render(Map.of("imageTypo.tag", "x")))
        .hasMessageContaining("imageTypo");
  }

  // --- helpers ---------------------------------------------------------------------------------------------------

  private static List<HasMetadata> render(Map<String, String> values) {
    TemplateCommand template = new Helm(renderableChart).template().withName(RELEASE).withNamespace(NAMESPACE);
    values.forEach(template::set);
    String yaml = template.call();
    Object parsed = SERIALIZATION.unmarshal(yaml);
    List<?> documents = parsed instanceof List<?> list ? list : List.of(parsed);
    assertThat(documents).as("rendered documents").isNotEmpty().allMatch(HasMetadata.class::isInstance);
    return documents.stream().map(HasMetadata.class::cast).toList();
  }

  private static <T extends HasMetadata> Stream<T> ofKind(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast);
  }

  private static <T extends HasMetadata> T single(List<HasMetadata> objects, Class<T> type) {
    return ofKind(objects, type).collect(onlyOne());
  }

  private static <T> java.util.stream.Collector<T, ?, T> onlyOne() {
    return Collectors.collectingAndThen(Collectors.toList(), list -> {
      assertThat(list).hasSize(1);
      return list.get(0);
    });
  }

  private static Map<String, EnvVar> env(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, Function.identity()));
  }

  private static Map<String, String> values(Map<String, EnvVar> env) {
    return env.values().stream()
        .filter(e -> e.getValueFrom() == null)
        .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() == null ? "" : e.getValue()));
  }

  private static void assertBindsOperatorServiceAccount(List<Subject> subjects) {
    assertThat(subjects).singleElement().satisfies(s -> {
      assertThat(s.getKind()).isEqualTo("ServiceAccount");
      assertThat(s.getName()).isEqualTo(FULLNAME);
      assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
    });
  }

  private static void assertNoWildcardsOrSecrets(List<PolicyRule> rules) {
    assertThat(rules).isNotEmpty().allSatisfy(r -> {
      assertThat(r.getApiGroups()).doesNotContain("*");
      assertThat(r.getResources()).isNotEmpty().doesNotContain("*", "secrets");
      assertThat(r.getVerbs()).isNotEmpty().doesNotContain("*");
      assertThat(r.getResourceNames()).isNullOrEmpty();
      assertThat(r.getNonResourceURLs()).isNullOrEmpty();
    });
  }

  private static PolicyRule rule(String group, List<String> resources, List<String> verbs) {
    PolicyRule rule = new PolicyRule();
    rule.setApiGroups(List.of(group));
    rule.setResources(resources);
    rule.setVerbs(verbs);
    return rule;
  }

  private static Set<String> permissions(PolicyRule... rules) {
    return permissions(List.of(rules));
  }

  /** Flattens rules into "group/resource:verb" entries, so that two rule lists compare by what they grant. */
  private static Set<String> permissions(List<PolicyRule> rules) {
    Set<String> permissions = new TreeSet<>();
    for (PolicyRule rule : rules) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            permissions.add(group + "/" + resource + ":" + verb);
          }
        }
      }
    }
    return permissions;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> union = new TreeSet<>(a);
    union.addAll(b);
    return union;
  }
}
