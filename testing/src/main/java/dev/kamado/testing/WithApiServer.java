package dev.kamado.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/** The test class gets a {@link ControlPlane} of kube-apiserver + etcd, with Kamado's CRDs installed. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("apiserver")
@ExtendWith(ControlPlaneExtension.ApiServer.class)
public @interface WithApiServer {}
