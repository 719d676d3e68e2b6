package dev.kamado.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one control plane per test JVM and mode, shared by every test class that asks for it (starting one costs
 * seconds; isolation comes from a namespace per test), with Kamado's CRDs installed. Stopped when the JVM's test
 * run ends. Test classes use {@link WithApiServer} or {@link WithKwokCluster} and take a {@link ControlPlane}
 * parameter in their constructor, {@code @BeforeAll} or test methods.
 */
abstract class ControlPlaneExtension implements ParameterResolver {
  private final ControlPlane.Mode mode;

  ControlPlaneExtension(ControlPlane.Mode mode) {
    this.mode = mode;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == ControlPlane.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(ControlPlane.class));
    return store.getOrComputeIfAbsent(mode, m -> new Handle(start()), Handle.class).controlPlane;
  }

  private ControlPlane start() {
    Path dir = Path.of("target", "control-plane", mode.name().toLowerCase(java.util.Locale.ROOT)).toAbsolutePath();
    ControlPlane controlPlane = ControlPlane.start(mode, dir);
    controlPlane.installCrds(RepoLayout.crds());
    return controlPlane;
  }

  /** Closes the control plane when JUnit closes the root store, at the end of the run. */
  private record Handle(ControlPlane controlPlane) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      controlPlane.close();
    }
  }

  static final class ApiServer extends ControlPlaneExtension {
    ApiServer() {
      super(ControlPlane.Mode.APISERVER);
    }
  }

  static final class Kwok extends ControlPlaneExtension {
    Kwok() {
      super(ControlPlane.Mode.FULL);
    }
  }
}
