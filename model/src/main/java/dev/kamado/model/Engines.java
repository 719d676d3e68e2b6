package dev.kamado.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Loads the DJL PyTorch engine offline, with a fixed thread count and a known cache folder.
 *
 * <p>libtorch comes from the {@code pytorch-native-cpu} jar on the class path; DJL extracts it once into its engine
 * cache folder and never downloads anything because {@value #OFFLINE} is set. The settings are system properties that
 * DJL reads when the engine first loads, so every use of the engine in a process should go through
 * {@link #pytorch()}; later calls return the same engine.
 *
 * <p>DJL reads the environment before system properties for {@code DJL_OFFLINE}, {@code DJL_CACHE_DIR} and
 * {@code ENGINE_CACHE_DIR}; an environment value that contradicts the requested settings is refused rather than
 * silently winning.
 */
public final class Engines {

  /** System property that keeps DJL from downloading (environment variable {@code DJL_OFFLINE} overrides it). */
  public static final String OFFLINE = "ai.djl.offline";
  /** System property: libtorch intra-op threads. */
  public static final String NUM_THREADS = "ai.djl.pytorch.num_threads";
  /** System property: libtorch inter-op threads. */
  public static final String NUM_INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";
  /** Environment variable or system property: folder where DJL extracts native engines (default DJL_CACHE_DIR). */
  public static final String ENGINE_CACHE_DIR = "ENGINE_CACHE_DIR";
  /** Environment variable or system property: DJL's cache folder (default {@code ~/.djl.ai}). */
  public static final String DJL_CACHE_DIR = "DJL_CACHE_DIR";
  /** Environment variable: intra-op threads when {@value #NUM_THREADS} is not set (default 1). */
  public static final String THREADS_ENV = "KAMADO_TORCH_THREADS";
  /** Environment variable: inter-op threads when {@value #NUM_INTEROP_THREADS} is not set (default 1). */
  public static final String INTEROP_THREADS_ENV = "KAMADO_TORCH_INTEROP_THREADS";

  private static final String PYTORCH = "PyTorch";

  private static Settings applied;
  private static Engine engine;
  private static Duration loadTime;

  /**
   * How the engine is set up.
   *
   * @param numThreads libtorch intra-op threads (1 is the most predictable on small machines)
   * @param numInteropThreads libtorch inter-op threads
   * @param cacheDir folder into which DJL extracts libtorch, or null for DJL's own choice ({@code ENGINE_CACHE_DIR},
   *     else {@code DJL_CACHE_DIR}, else {@code ~/.djl.ai})
   */
  public record Settings(int numThreads, int numInteropThreads, Path cacheDir) {

    /** Checks the thread counts. */
    public Settings {
      if (numThreads <= 0 || numInteropThreads <= 0) {
        throw new IllegalArgumentException("thread counts must be positive, got num_threads " + numThreads
            + " and num_interop_threads " + numInteropThreads);
      }
    }

    /** Settings from this process: system properties, then environment variables, then 1 thread each. */
    public static Settings fromProcess() {
      return from(System.getenv(), System.getProperty(NUM_THREADS), System.getProperty(NUM_INTEROP_THREADS));
    }

    /**
     * Settings from an environment map ({@value #THREADS_ENV}, {@value #INTEROP_THREADS_ENV},
     * {@value #ENGINE_CACHE_DIR}, {@value #DJL_CACHE_DIR}) unless the thread properties are given.
     */
    static Settings from(Map<String, String> env, String threadsProperty, String interopProperty) {
      int threads = parse(THREADS_ENV, threadsProperty != null ? threadsProperty : env.get(THREADS_ENV));
      int interop = parse(INTEROP_THREADS_ENV,
          interopProperty != null ? interopProperty : env.get(INTEROP_THREADS_ENV));
      String dir = env.get(ENGINE_CACHE_DIR);
      if (dir == null || dir.isEmpty()) {
        dir = env.get(DJL_CACHE_DIR);
      }
      return new Settings(threads, interop, dir == null || dir.isEmpty() ? null : Path.of(dir));
    }

    private static int parse(String name, String value) {
      if (value == null || value.isBlank()) {
        return 1;
      }
      try {
        return Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'", e);
      }
    }
  }

  private Engines() {
  }

  /** The PyTorch engine with {@link Settings#fromProcess()}. */
  public static Engine pytorch() {
    return pytorch(Settings.fromProcess());
  }

  /**
   * The PyTorch engine, loaded with {@code settings} on the first call.
   *
   * @throws IllegalStateException when the engine was already loaded with other settings, or the environment
   *     contradicts them
   */
  public static synchronized Engine pytorch(Settings settings) {
    if (engine != null) {
      if (!applied.equals(settings)) {
        throw new IllegalStateException("PyTorch engine already loaded with " + applied + ", cannot switch to "
            + settings);
      }
      return engine;
    }
    apply(settings, System.getenv());
    long start = System.nanoTime();
    Engine loaded = Engine.getEngine(PYTORCH);
    loadTime = Duration.ofNanos(System.nanoTime() - start);
    applied = settings;
    engine = loaded;
    return loaded;
  }

  /** How long the first {@link #pytorch} call took to load the engine (extraction included), or null before it. */
  public static synchronized Duration loadTime() {
    return loadTime;
  }

  /**
   * Applies the engine's intra-op thread count to the calling thread. libtorch's {@code set_num_threads} sets the
   * OpenMP and MKL thread counts of the thread that calls it (DJL calls it once, on the thread that loads the
   * engine); call this on every other thread that runs torch operations, before its first one, so that every
   * reduction splits the same way whichever thread runs it. Does nothing when the engine has not been loaded through
   * {@link #pytorch} (nothing of libtorch runs on this thread then).
   */
  public static void bindCurrentThread() {
    Settings settings;
    synchronized (Engines.class) {
      if (engine == null) {
        return;
      }
      settings = applied;
    }
    JniUtils.setNumThreads(settings.numThreads());
  }

  /** Folder holding the loaded libtorch libraries (inside the engine cache), or null before loading. */
  public static synchronized Path nativeLibraryDir() {
    return engine == null ? null : Path.of(LibUtils.getLibtorchPath());
  }

  /** Sets the system properties DJL reads; refuses environment values that would override them. */
  static void apply(Settings settings, Map<String, String> env) {
    String envOffline = env.get("DJL_OFFLINE");
    if (envOffline != null && !Boolean.parseBoolean(envOffline)) {
      throw new IllegalStateException("environment variable DJL_OFFLINE=" + envOffline
          + " overrides " + OFFLINE + " and would let DJL download; unset it");
    }
    String cacheDir = settings.cacheDir() == null ? null : settings.cacheDir().toAbsolutePath().toString();
    String envDir = env.get(ENGINE_CACHE_DIR);
    if (cacheDir != null && envDir != null && !envDir.isEmpty()
        && !Path.of(envDir).toAbsolutePath().toString().equals(cacheDir)) {
      throw new IllegalStateException("environment variable " + ENGINE_CACHE_DIR + "=" + envDir
          + " overrides the requested engine cache folder " + cacheDir);
    }
    System.setProperty(OFFLINE, "true");
    System.setProperty(NUM_THREADS, Integer.toString(settings.numThreads()));
    System.setProperty(NUM_INTEROP_THREADS, Integer.toString(settings.numInteropThreads()));
    if (cacheDir != null) {
      System.setProperty(ENGINE_CACHE_DIR, cacheDir);
    }
  }
}
