package dev.onnxtie.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * What {@code onnx-tie --version} prints: onnx-tie's version, the ONNX Runtime, protobuf-java and
 * picocli versions it was built with, whether the CUDA provider is in this build and a GPU is
 * there, and the Java running it. Reads only a properties file written at build time and the file
 * system: no native library is loaded, so it answers in a few milliseconds.
 */
final class VersionInfo {
  private VersionInfo() {}

  /** The lines of {@code --version}. */
  static String[] lines() {
    Properties versions = new Properties();
    try (InputStream in = VersionInfo.class.getResourceAsStream("versions.properties")) {
      if (in != null) {
        versions.load(in);
      }
    } catch (IOException e) {
      // a jar without the file: versions show as "?"
    }
    String own = OnnxTieCli.class.getPackage().getImplementationVersion();
    return new String[] {
      "onnx-tie " + (own == null ? "(development build)" : own),
      "ONNX Runtime "
          + versions.getProperty("onnxruntime", "?")
          + " ("
          + versions.getProperty("onnxruntime.artifact", "?")
          + "), "
          + cuda(),
      "protobuf-java "
          + versions.getProperty("protobuf", "?")
          + ", picocli "
          + versions.getProperty("picocli", "?"),
      "Java "
          + System.getProperty("java.runtime.version")
          + " ("
          + System.getProperty("java.vendor")
          + ", "
          + System.getProperty("java.home")
          + ")"
    };
  }

  /** Whether ONNX Runtime can use CUDA here: the provider library in the jar, and a GPU. */
  static String cuda() {
    if (VersionInfo.class.getClassLoader().getResource(cudaProviderResource()) == null) {
      return "CPU only: no CUDA provider in this build ('mvn -Pgpu package' builds one with it)";
    }
    List<Path> devices = List.of(Path.of("/dev/nvidiactl"), Path.of("/proc/driver/nvidia/gpus"));
    boolean gpu = devices.stream().anyMatch(Files::exists);
    return "CUDA provider in this build; "
        + (gpu
            ? "an NVIDIA GPU is present: --provider auto uses it"
            : "no NVIDIA GPU found (no /dev/nvidiactl): --provider auto uses the CPU");
  }

  /** Where ONNX Runtime's jar keeps its CUDA provider library for this platform. */
  private static String cudaProviderResource() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String platform =
        (os.contains("win") ? "win" : os.contains("mac") ? "osx" : "linux")
            + "-"
            + (arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch);
    String library =
        os.contains("win") ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
    return "ai/onnxruntime/native/" + platform + "/" + library;
  }
}
