package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX Runtime 1.29's native start-up crashes the whole process (SIGSEGV, exit 139) when the
 * process's command line is longer than about 3,970 bytes (measured on Linux with this JVM: a
 * {@code /proc/self/cmdline} of 3,974 bytes starts, one of 3,975 crashes; the environment's size
 * does not matter). The launchers pass long argument lists through a Java argument file; a JVM
 * started otherwise (a long {@code -cp}, deep model paths) gets this one-line refusal before ONNX
 * Runtime loads, instead of the crash.
 */
final class CommandLineLimit {
  /** The longest command line, in bytes, that is let through: a little below the crash. */
  static final int LONGEST = 3970;

  private CommandLineLimit() {}

  /**
   * @throws OnnxTieException (bad input) when this process's command line is longer than {@link
   *     #LONGEST} bytes
   */
  static void check() {
    int length = length(Path.of("/proc/self/cmdline"));
    if (length > LONGEST) {
      throw OnnxTieException.badInput(
          "this JVM's command line is "
              + length
              + " bytes, and ONNX Runtime 1.29 crashes while it starts with one over about 3,970;"
              + " start Java with a shorter one: the class path in the CLASSPATH variable, the rest"
              + " in a Java argument file (java @FILE), as the onnx-tie launcher does");
    }
  }

  /** The bytes of a command line file; 0 where there is none (not Linux). */
  static int length(Path cmdline) {
    try {
      return Files.readAllBytes(cmdline).length;
    } catch (IOException | SecurityException e) {
      return 0;
    }
  }
}
