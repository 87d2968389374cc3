package dev.onnxtie;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The one command line for running the real CLI in a JVM of its own (ONNX Runtime loads once per
 * JVM; some tests kill, interrupt or time the process): this JVM's {@code java} and the test class
 * path, which holds the main and the test classes.
 */
public final class TestJvm {
  /** The {@code java} of the JVM running the tests. */
  public static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  /** The class path the tests run with (Surefire's, or this JVM's outside Surefire). */
  public static final String CLASS_PATH =
      System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));

  /** The CLI's main class. */
  public static final String CLI_MAIN = "dev.onnxtie.cli.OnnxTieCli";

  private TestJvm() {}

  /**
   * {@code java JVM_OPTIONS... -cp CLASS_PATH dev.onnxtie.cli.OnnxTieCli}: append the CLI's
   * arguments.
   */
  public static List<String> cli(String... jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(JAVA);
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("@" + classPathFile(), CLI_MAIN));
    return command;
  }

  /**
   * Writes {@code file}, an executable {@code onnx-tie} stand-in for tests that run the CLI the way
   * users' scripts do (Python, the CI action, the docs): it runs this build's CLI with the test
   * class path, which goes through CLASSPATH, off the command line (ONNX Runtime 1.29 crashes at
   * start-up when the command line passes about 3,970 bytes).
   */
  public static Path standInLauncher(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        "#!/bin/sh\nCLASSPATH="
            + shellQuote(CLASS_PATH)
            + " exec "
            + shellQuote(JAVA)
            + " -XX:TieredStopAtLevel=1 "
            + CLI_MAIN
            + " \"$@\"\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  private static String shellQuote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  private static Path classPathFile;

  /**
   * A Java argument file holding {@code -cp CLASS_PATH}: the class path stays off the command line,
   * which ONNX Runtime 1.29's native start-up cannot take past about 4 KiB (it crashes with
   * SIGSEGV; a fresh clone's long paths reached that).
   */
  static synchronized Path classPathFile() {
    if (classPathFile == null) {
      try {
        Path file = Files.createTempFile("onnx-tie-tests-", ".args");
        file.toFile().deleteOnExit();
        Files.writeString(file, "-cp \"" + CLASS_PATH.replace("\\", "\\\\") + "\"\n");
        classPathFile = file;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return classPathFile;
  }
}
