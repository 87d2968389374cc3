package dev.onnxtie.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM whose command line is too long for ONNX Runtime 1.29's start-up (it crashes the process
 * with SIGSEGV, exit 139) refuses a verification in one line, exit 2, before ONNX Runtime loads;
 * just under the limit it verifies.
 */
class CommandLineLimitTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  Run verifyWithCommandLinePadding(int padding) throws Exception {
    String model = TestModels.samples().resolve("gpt2_tied/model.onnx").toString();
    List<String> command = new ArrayList<>(TestJvm.cli("-Dpad=" + "x".repeat(padding)));
    command.addAll(List.of("verify", model, model));
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(dir.resolve("out.txt").toFile())
            .redirectError(dir.resolve("err.txt").toFile())
            .start();
    assertTrue(process.waitFor(2, TimeUnit.MINUTES), "timed out");
    return new Run(
        process.exitValue(),
        Files.readString(dir.resolve("out.txt")),
        Files.readString(dir.resolve("err.txt")));
  }

  @Test
  void aCommandLineOnnxRuntimeWouldCrashOnIsRefusedInOneLine() throws Exception {
    Run refused = verifyWithCommandLinePadding(4000);
    assertEquals(2, refused.code(), refused.out() + refused.err());
    assertEquals(1, refused.err().lines().count(), refused.err());
    assertTrue(refused.err().startsWith("onnx-tie: this JVM's command line is "), refused.err());
    assertTrue(refused.err().contains("java @FILE"), refused.err());
  }

  @Test
  void aCommandLineJustUnderTheLimitVerifies() throws Exception {
    // the padding that brings the whole command line to the limit (the rest measured from a JVM
    // started the same way)
    Run probe = verifyWithCommandLinePadding(0);
    assertEquals(0, probe.code(), probe.err());
    int rest = TestJvm.cli("-Dpad=").stream().mapToInt(arg -> arg.length() + 1).sum();
    String model = TestModels.samples().resolve("gpt2_tied/model.onnx").toString();
    rest += "verify".length() + 1 + 2 * (model.length() + 1);
    Run passed = verifyWithCommandLinePadding(CommandLineLimit.LONGEST - rest);
    assertEquals(0, passed.code(), passed.err());
    assertTrue(passed.out().startsWith("PASSED: "), passed.out());
  }

  @Test
  void theLengthIsTheFilesBytes() throws Exception {
    Path cmdline = Files.write(dir.resolve("cmdline"), "java\0-cp\0x\0".getBytes());
    assertEquals(11, CommandLineLimit.length(cmdline));
    assertEquals(0, CommandLineLimit.length(dir.resolve("missing")));
  }
}
