package dev.onnxtie.verify;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * ONNX Runtime's native libraries, extracted once per version into a cache folder and loaded from
 * there, instead of ONNX Runtime Java's own extraction into a new {@code onnxruntime-java<N>}
 * folder under {@code java.io.tmpdir} on every start (which it leaves behind: one empty folder per
 * run).
 *
 * <p>The folder is the system property {@code onnxruntime.native.path} when set (the launcher
 * passes {@code ~/.cache/onnx-tie/onnxruntime-<version>}), otherwise {@code
 * $XDG_CACHE_HOME/onnx-tie/onnxruntime-<artifact>-<version>/<platform>} (default {@code ~/.cache}),
 * which this class then sets. A library already there with the size of the one in the jar is kept;
 * a missing one is written beside it under a temporary name and renamed in, so that two processes
 * starting at once each see either no file or the whole one. When the folder cannot be written, the
 * property is left as it was and ONNX Runtime extracts as it always did.
 */
final class NativeLibraries {
  /**
   * ONNX Runtime Java's own property: the folder it loads its libraries from instead of extracting
   * them.
   */
  static final String PROPERTY = "onnxruntime.native.path";

  private static final List<String> LIBRARIES =
      List.of(
          "libonnxruntime.so",
          "libonnxruntime4j_jni.so",
          "libonnxruntime_providers_shared.so",
          "libonnxruntime_providers_cuda.so",
          "libonnxruntime_providers_tensorrt.so");

  private static boolean prepared;

  private NativeLibraries() {}

  /**
   * Extracts the libraries when needed and points ONNX Runtime at them; call before any ONNX
   * Runtime class loads.
   */
  static synchronized void prepare() {
    if (prepared) {
      return;
    }
    prepared = true;
    String platform = platform();
    if (platform == null) {
      return; // not Linux: ONNX Runtime's own extraction
    }
    String given = System.getProperty(PROPERTY);
    Path folder = given != null && !given.isBlank() ? Path.of(given) : defaultFolder(platform);
    if (folder == null) {
      return;
    }
    try {
      Files.createDirectories(folder);
      for (String library : LIBRARIES) {
        URL resource =
            NativeLibraries.class
                .getClassLoader()
                .getResource("ai/onnxruntime/native/" + platform + "/" + library);
        if (resource != null) {
          extract(resource, folder.resolve(library));
        }
      }
      System.setProperty(PROPERTY, folder.toString());
    } catch (IOException | RuntimeException e) {
      if (given == null) {
        System.clearProperty(PROPERTY); // ONNX Runtime extracts into java.io.tmpdir as before
      }
    }
  }

  /** Writes {@code resource} to {@code target} unless a file of its size is there already. */
  private static void extract(URL resource, Path target) throws IOException {
    URLConnection connection = resource.openConnection();
    connection.setUseCaches(false);
    long size = connection.getContentLengthLong();
    if (size >= 0 && Files.isRegularFile(target) && Files.size(target) == size) {
      return;
    }
    Path partial =
        target.resolveSibling(target.getFileName() + ".partial-" + ProcessHandle.current().pid());
    try (InputStream in = connection.getInputStream()) {
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
      Files.move(
          partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * {@code $XDG_CACHE_HOME/onnx-tie/onnxruntime-<artifact>-<version>/<platform>}, or null without a
   * home folder.
   */
  private static Path defaultFolder(String platform) {
    String cache = System.getenv("XDG_CACHE_HOME");
    Path base;
    if (cache != null && cache.startsWith("/")) {
      base = Path.of(cache);
    } else {
      String home = System.getProperty("user.home");
      if (home == null || home.isBlank() || home.equals("?")) {
        return null;
      }
      base = Path.of(home, ".cache");
    }
    Properties versions = new Properties();
    try (InputStream in =
        NativeLibraries.class.getResourceAsStream("/dev/onnxtie/cli/versions.properties")) {
      if (in != null) {
        versions.load(in);
      }
    } catch (IOException e) {
      return null;
    }
    String version = versions.getProperty("onnxruntime");
    String artifact = versions.getProperty("onnxruntime.artifact");
    if (version == null || artifact == null || version.contains("$") || artifact.contains("$")) {
      return null; // no build-time versions: no name that tells two builds apart
    }
    return base.resolve("onnx-tie").resolve(artifact + "-" + version).resolve(platform);
  }

  /** ONNX Runtime's folder name for this Linux machine, or null elsewhere. */
  private static String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      return null;
    }
    return arch.equals("amd64") || arch.equals("x86_64")
        ? "linux-x64"
        : arch.equals("aarch64") ? "linux-aarch64" : null;
  }
}
