package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
    Path stubs = Files.createDirectories(dir.resolve("stubs"));
    // python: every module is there but torch
    Path python = script(stubs, "python3", "case \"$*\" in *torch*) exit 1 ;; esac", "exit 0");
    script(stubs, "apt-get", "echo \"apt-get $*\" >> " + dir.resolve("apt.log"));
    script(stubs, "sudo", "[ \"$1\" = -n ] && shift", "exec \"$@\"");
    script(stubs, "mvn", "echo \"mvn $*\" >> " + dir.resolve("mvn.log"));
    List<String> command = new java.util.ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().put("PATH", stubs + ":/usr/bin:/bin");
    builder.environment().put("RUN_TESTS_PYTHON", python.toString());
    builder.environment().put("RUN_TESTS_TESTDATA", dir.resolve("no-such-folder").toString());
    Process process = builder.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Run(process.exitValue(), Files.readString(dir.resolve("out.txt")));
  }

  @Test
  void theCheckNamesTheExactAptGetLine() throws Exception {
    Run check = runTests("--check");
    assertEquals(1, check.code(), check.output());
    assertTrue(check.output().contains(
        "the tests need python3-torch libonnx-testdata; install with: sudo apt-get install -y --no-install-recommends python3-torch libonnx-testdata"),
        check.output());
    assertTrue(Files.notExists(dir.resolve("apt.log")), "--check installs nothing");
  }

  @Test
  void withoutCheckItInstallsWhatIsMissingAndStopsWhenThatDidNotHelp() throws Exception {
    Run run = runTests();
    List<String> apt = Files.readAllLines(dir.resolve("apt.log"));
    assertTrue(apt.contains("apt-get install -y -q --no-install-recommends python3-torch libonnx-testdata"), apt.toString());
    // the stand-in apt-get installs nothing, so the script must not go on to the tests
    assertEquals(1, run.code(), run.output());
    assertTrue(run.output().contains("still missing after apt-get: python3-torch libonnx-testdata"), run.output());
    assertTrue(Files.notExists(dir.resolve("mvn.log")), "no test run with packages missing");
  }

  static Path script(Path folder, String name, String... lines) throws IOException {
    Path file = folder.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
