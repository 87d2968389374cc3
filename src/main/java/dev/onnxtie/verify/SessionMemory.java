package dev.onnxtie.verify;

import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory an ONNX Runtime session of a model costs, measured in a fresh Java process: the growth
 * of that process's resident set (VmRSS) across {@code createSession}, after a warm-up session of a
 * one-node model has paid ONNX Runtime's one-time set-up. Sessions created one after another in one
 * process are not comparable: memory freed by the first session stays with the C allocator and is
 * reused by the next, so the same file measured second grows by a fraction of what it grew first
 * ({@code verify det.onnx det.onnx} read +15.7 and +1.9 MiB). A fresh process for each measurement
 * gives the same file the same figure.
 *
 * <p>The child runs this class's {@link #main} with the parent's class path and Java, loads the
 * model the way the parent's session does (same optimization level, prepacking, provider and mapped
 * copy) and prints {@code rssGrowthBytes=N}. Where it cannot run (no class path to start it from,
 * no /proc), {@link #measure} returns null and the caller measures in its own process instead.
 */
final class SessionMemory {
  /**
   * {@link dev.onnxtie.api.Verification.Session#memoryMethod()} of a session measured in a fresh
   * process.
   */
  static final String FRESH_PROCESS = "fresh-process";

  /**
   * {@link dev.onnxtie.api.Verification.Session#memoryMethod()} where the child could not run: the
   * verifying process itself.
   */
  static final String IN_PROCESS = "in-process";

  private static final String PREFIX = "rssGrowthBytes=";

  private SessionMemory() {}

  /**
   * Measures a session of {@code model} as {@code options} and the provider would create it, in a
   * fresh process; null when that process cannot be started or reports nothing.
   */
  static Long measure(Path model, VerifyOptions options, boolean cuda, long mappableCopyMinBytes) {
    String classPath = System.getProperty("java.class.path");
    String javaHome = System.getProperty("java.home");
    if (classPath == null || classPath.isEmpty() || javaHome == null) {
      return null;
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(javaHome, "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto"));
    String tmp = System.getProperty("java.io.tmpdir");
    if (tmp != null) {
      command.add("-Djava.io.tmpdir=" + tmp);
    }
    command.addAll(
        List.of(
            SessionMemory.class.getName(),
            model.toAbsolutePath().toString(),
            options.optLevel().name(),
            Boolean.toString(options.disablePrepacking()),
            Boolean.toString(options.loadAsIs()),
            Boolean.toString(cuda),
            Long.toString(mappableCopyMinBytes)));
    try {
      // the class path goes through the environment, not the command line: ONNX Runtime 1.29's
      // native start-up crashes (SIGSEGV) when the process's command line passes about 4 KiB, which
      // a long class path plus the model's path reaches (NothingLeftBehindTest, VerifierTest)
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
      builder.environment().put("CLASSPATH", classPath);
      Process process = builder.start();
      String out;
      try (InputStream stdout = process.getInputStream()) {
        out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (process.waitFor() != 0) {
        return null;
      }
      for (String line : out.split("\n")) {
        if (line.startsWith(PREFIX)) {
          return Long.parseLong(line.substring(PREFIX.length()).trim());
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * The child: {@code MODEL OPT_LEVEL DISABLE_PREPACKING LOAD_AS_IS CUDA MAPPABLE_COPY_MIN_BYTES};
   * prints {@code rssGrowthBytes=N} and exits 0, or exits 1 when the session or /proc fails.
   */
  public static void main(String[] args) {
    int code = 1;
    try {
      VerifyOptions options =
          VerifyOptions.defaults()
              .withOptLevel(OptLevel.valueOf(args[1]))
              .withDisablePrepacking(Boolean.parseBoolean(args[2]))
              .withLoadAsIs(Boolean.parseBoolean(args[3]))
              .withProvider(Boolean.parseBoolean(args[4]) ? Provider.CUDA : Provider.CPU);
      OrtSessions.setMappableCopyMinBytes(Long.parseLong(args[5]));
      OrtSessions sessions = OrtSessions.measuringInProcess(options);
      deleteOwnExtraction();
      try (OnnxModel model = ModelIO.read(Path.of(args[0]))) {
        Long growth = sessions.inProcessGrowth(model);
        if (growth != null) {
          System.out.println(PREFIX + growth);
          code = 0;
        }
      }
    } catch (Throwable e) {
      code = 1;
    }
    System.out.flush();
    TelemetryFiles.removeNow(); // halt runs no shutdown hook
    Runtime.getRuntime()
        .halt(code); // no ONNX Runtime tear-down: the figure is printed, the extracted library
    // deleted
  }

  /**
   * Deletes the folder ONNX Runtime extracted its native library to when this process loaded it
   * (its private {@code OnnxRuntime.tempDirectory}): the library is loaded (deleting a mapped file
   * keeps the mapping), and a child started per session must not leave 22 MB behind in {@code
   * $TMPDIR} each time (ONNX Runtime deletes the files at exit, never the folder). Only this
   * process's own folder is touched; where it cannot be found, nothing is deleted.
   */
  private static void deleteOwnExtraction() {
    Path folder;
    try {
      Field field = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
      field.setAccessible(true);
      folder = (Path) field.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return;
    }
    if (folder == null || !folder.getFileName().toString().startsWith("onnxruntime-java")) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    } catch (IOException | RuntimeException e) {
      return;
    }
    try {
      Files.deleteIfExists(folder);
    } catch (IOException | RuntimeException e) {
      // best effort
    }
  }
}
