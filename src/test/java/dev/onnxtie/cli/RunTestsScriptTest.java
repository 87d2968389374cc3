package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run-tests}, the README's test command, on a machine that lacks what the tests need: a
 * stand-in python that has no torch, no backend test data, stand-ins for apt-get and sudo.
 */
class RunTestsScriptTest {
  static final Path SCRIPT = TestModels.samples().getParent().resolve("run-tests");

  @TempDir Path dir;

  record Run(int code, String output) {}

  Run runTests(String... args) throws Exception {
    return runTests(false, "echo \"mvn $*\" >> " + dir.resolve("mvn.log"), args);
  }

  /**
   * run-tests with stand-ins: python with every module ({@code complete}) or all but torch, and
   * this mvn.
   */
  Run runTests(boolean complete, String mvn, String... args) throws Exception {
    Path stubs = Files.createDirectories(dir.resolve("stubs"));
    // python: every module is there but torch
    Path python =
        script(
            stubs,
            "python3",
            complete ? "exit 0" : "case \"$*\" in *torch*) exit 1 ;; esac",
            "exit 0");
    script(stubs, "apt-get", "echo \"apt-get $*\" >> " + dir.resolve("apt.log"));
    script(stubs, "sudo", "[ \"$1\" = -n ] && shift", "exec \"$@\"");
    script(stubs, "mvn", mvn);
    Files.createDirectories(dir.resolve("testdata"));
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().put("PATH", stubs + ":/usr/bin:/bin");
    builder.environment().put("RUN_TESTS_PYTHON", python.toString());
    builder
        .environment()
        .put(
            "RUN_TESTS_TESTDATA", dir.resolve(complete ? "testdata" : "no-such-folder").toString());
    builder.environment().put("RUN_TESTS_LOG", dir.resolve("run-tests.log").toString());
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Run(process.exitValue(), Files.readString(dir.resolve("out.txt")));
  }

  @Test
  void theCheckNamesTheExactAptGetLine() throws Exception {
    Run check = runTests("--check");
    assertEquals(1, check.code(), check.output());
    assertTrue(
        check
            .output()
            .contains(
                "the tests need python3-torch libonnx-testdata; install with: sudo apt-get install -y --no-install-recommends python3-torch libonnx-testdata"),
        check.output());
    assertTrue(Files.notExists(dir.resolve("apt.log")), "--check installs nothing");
  }

  @Test
  void withoutCheckItInstallsWhatIsMissingAndStopsWhenThatDidNotHelp() throws Exception {
    Run run = runTests();
    List<String> apt = Files.readAllLines(dir.resolve("apt.log"));
    assertTrue(
        apt.contains(
            "apt-get install -y -q --no-install-recommends python3-torch libonnx-testdata"),
        apt.toString());
    // the stand-in apt-get installs nothing, so the script must not go on to the tests
    assertEquals(1, run.code(), run.output());
    assertTrue(
        run.output().contains("still missing after apt-get: python3-torch libonnx-testdata"),
        run.output());
    assertTrue(Files.notExists(dir.resolve("mvn.log")), "no test run with packages missing");
  }

  /**
   * A test run's output as Maven prints it (escape codes despite -Dstyle.color=never, Jazzer's
   * instrumentation lines, SLF4J's and the JVM's warnings, one line per test class), with one
   * failing test when {@code failing}.
   */
  static String transcript(boolean failing) {
    StringBuilder text = new StringBuilder();
    text.append(
        "\u001b[0m[INFO] Scanning for projects...\n[INFO] --- surefire:3.5.4:test (default-test) @ onnx-tie ---\n");
    text.append(
        "[INFO] -------------------------------------------------------\n[INFO]  T E S T S\n");
    text.append(
        "SLF4J(W): No SLF4J providers were found.\nSLF4J(W): Defaulting to no-operation (NOP) logger implementation\n");
    text.append(
        "OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes because bootstrap classpath has been appended\n");
    for (int i = 0; i < 60; i++) {
      text.append("[INFO] Running dev.onnxtie.Test").append(i).append("\n");
      for (int j = 0; j < 10; j++) {
        text.append("INFO: Instrumented dev.onnxtie.Class")
            .append(i)
            .append('_')
            .append(j)
            .append(" (took 3 ms, size +12%)\n");
      }
      text.append(
              "[INFO] \u001b[1;32mTests run: 4\u001b[m, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.5 s -- in dev.onnxtie.Test")
          .append(i)
          .append("\n");
    }
    if (failing) {
      text.append("[INFO] Running dev.onnxtie.BrokenTest\n");
      text.append(
          "[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.1 s <<< FAILURE! -- in dev.onnxtie.BrokenTest\n");
      text.append("[ERROR] dev.onnxtie.BrokenTest.sizes -- Time elapsed: 0.01 s  <<< FAILURE!\n");
      text.append(
          "org.opentest4j.AssertionFailedError: expected: <1> but was: <2>\n\tat dev.onnxtie.BrokenTest.sizes(BrokenTest.java:12)\n\n");
    }
    text.append("[INFO] \n[INFO] Results:\n[INFO] \n");
    if (failing) {
      text.append(
          "[ERROR] Failures: \n[ERROR]   BrokenTest.sizes:12 expected: <1> but was: <2>\n[INFO] \n");
      text.append(
          "[ERROR] Tests run: 242, Failures: 1, Errors: 0, Skipped: 0\n[INFO] \n[INFO] BUILD FAILURE\n");
    } else {
      text.append("[INFO] Tests run: 240, Failures: 0, Errors: 0, Skipped: 0\n[INFO] \n");
      text.append(
          "[INFO] ------------------------------------------------------------------------\n[INFO] BUILD SUCCESS\n");
      text.append(
          "[INFO] ------------------------------------------------------------------------\n[INFO] Total time:  04:59 min\n");
    }
    return text.toString();
  }

  @Test
  void aPassingRunPrintsTheSummaryAndKeepsTheRestInTheLog() throws Exception {
    Files.writeString(dir.resolve("transcript.txt"), transcript(false));
    Run run = runTests(true, "cat " + dir.resolve("transcript.txt"));
    assertEquals(0, run.code(), run.output());
    List<String> lines = run.output().lines().toList();
    assertTrue(lines.size() < 20, run.output());
    assertTrue(
        lines.contains("[INFO] Tests run: 240, Failures: 0, Errors: 0, Skipped: 0"), run.output());
    assertTrue(lines.contains("[INFO] BUILD SUCCESS"), run.output());
    for (String noise :
        List.of(
            "\u001b",
            "INFO: Instrumented",
            "SLF4J",
            "Sharing is only supported",
            "Running dev.onnxtie")) {
      assertTrue(!run.output().contains(noise), noise + " in " + run.output());
    }
    String log = Files.readString(dir.resolve("run-tests.log"));
    assertTrue(
        log.contains("INFO: Instrumented dev.onnxtie.Class59_9")
            && log.contains("SLF4J(W)")
            && !log.contains("\u001b"),
        log);
  }

  @Test
  void aFailingRunShowsTheFailureInFullAndMavensExitCode() throws Exception {
    Files.writeString(dir.resolve("transcript.txt"), transcript(true));
    Run run = runTests(true, "cat " + dir.resolve("transcript.txt") + "\nexit 1");
    assertEquals(1, run.code(), run.output());
    for (String shown :
        List.of(
            "<<< FAILURE! -- in dev.onnxtie.BrokenTest",
            "org.opentest4j.AssertionFailedError: expected: <1> but was: <2>",
            "\tat dev.onnxtie.BrokenTest.sizes(BrokenTest.java:12)",
            "[ERROR]   BrokenTest.sizes:12 expected: <1> but was: <2>",
            "[ERROR] Tests run: 242, Failures: 1, Errors: 0, Skipped: 0",
            "[INFO] BUILD FAILURE")) {
      assertTrue(run.output().contains(shown), shown + " missing from " + run.output());
    }
    assertTrue(run.output().lines().count() < 20, run.output());
  }

  static Path script(Path folder, String name, String... lines) throws IOException {
    Path file = folder.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
