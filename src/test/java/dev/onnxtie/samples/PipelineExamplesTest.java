package dev.onnxtie.samples;

import static dev.onnxtie.TestJvm.CLASS_PATH;
import static dev.onnxtie.TestJvm.JAVA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.VerifySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The user-facing examples run as a user runs them: {@code samples/java/RewriteAndVerify.java} with
 * the JDK's source launcher, and {@code samples/pipeline/pipeline.sh} (torch export, check, rewrite
 * --verify, check) with the CLI of this build.
 */
class PipelineExamplesTest {
  @TempDir Path dir;

  static final Path ROOT = TestModels.samples().getParent();
  static final String PYTHON = "/usr/bin/python3";

  /** A finished subprocess: its exit code and its stdout and stderr together. */
  record Finished(int code, String output) {}

  /**
   * Runs a command in the repository root, output to a file (no pipe to drain), killed after the
   * timeout.
   */
  Finished run(List<String> command, Map<String, String> environment, int timeoutSeconds)
      throws Exception {
    Path log = Files.createTempFile(dir, "process", ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(environment);
    Process process = builder.start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      throw new AssertionError(
          "timed out after " + timeoutSeconds + " s: " + command + "\n" + Files.readString(log));
    }
    return new Finished(process.exitValue(), Files.readString(log));
  }

  /** Writes an executable shell script. */
  Path script(String name, String... lines) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  Finished rewriteAndVerify(Path in, Path out) throws Exception {
    return run(
        List.of(JAVA, "samples/java/RewriteAndVerify.java", in.toString(), out.toString()),
        // the class path in CLASSPATH, off the command line: ONNX Runtime 1.29 crashes at start-up
        // when the command line passes about 3,970 bytes
        Map.of("CLASSPATH", CLASS_PATH),
        180);
  }

  @Test
  void javaExampleRewritesVerifiesAndReports() throws Exception {
    Path in = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Path out = dir.resolve("tied.onnx");
    Finished example = rewriteAndVerify(in, out);
    assertEquals(0, example.code(), example.output());
    String output = example.output();
    assertTrue(
        output.contains("tied onnx::MatMul_393 [64, 1000] = transpose [1, 0] of wte.weight"),
        output);
    assertTrue(output.contains("ties: 1, bytes saved: 256000"), output);
    assertTrue(output.contains("verification: PASSED"), output);
    assertTrue(output.contains("logits: match, bitwise identical"), output);
    assertTrue(Files.isRegularFile(out), out + " written");
    assertTrue(
        Files.size(out) < Files.size(in) - 250_000, Files.size(in) + " -> " + Files.size(out));
    // what it wrote is the tied model: no duplicate left, same outputs
    assertEquals(0, OnnxTie.inspect(out, 64).wastedBytes());
    Verification again = OnnxTie.compare(in, out, VerifySettings.defaults().withSeed(7));
    assertTrue(again.passed(), again.toString());
  }

  @Test
  void javaExampleExitsTwoOnBadInputAndWritesNothing() throws Exception {
    Path out = dir.resolve("tied.onnx");
    Finished example = rewriteAndVerify(dir.resolve("missing.onnx"), out);
    assertEquals(2, example.code(), example.output());
    assertTrue(example.output().contains("no such model file"), example.output());
    assertTrue(Files.notExists(out));
  }

  @Test
  void pipelineExportsRewritesAndGates() throws Exception {
    boolean torch;
    try {
      torch =
          new ProcessBuilder(PYTHON, "-c", "import torch")
                  .redirectErrorStream(true)
                  .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                  .start()
                  .waitFor()
              == 0;
    } catch (IOException e) {
      torch = false;
    }
    // never skipped: run-tests (and 'mvn test', which checks first) installs or names what is
    // missing
    assertTrue(
        torch,
        PYTHON + " cannot import torch: apt-get install python3-torch (./run-tests installs it)");
    Path cli =
        script(
            "onnx-tie",
            "CLASSPATH=\"$PIPELINE_TEST_CLASS_PATH\" exec \"$PIPELINE_TEST_JAVA\" dev.onnxtie.cli.OnnxTieCli \"$@\"");
    Path work = dir.resolve("work");
    Finished pipeline =
        run(
            List.of("bash", "samples/pipeline/pipeline.sh", work.toString()),
            Map.of(
                "ONNX_TIE",
                cli.toString(),
                "PYTHON",
                PYTHON,
                "PIPELINE_TEST_JAVA",
                JAVA,
                "PIPELINE_TEST_CLASS_PATH",
                CLASS_PATH),
            300);
    String output = pipeline.output();
    assertEquals(0, pipeline.code(), output);
    // step 2: the raw export fails the check, naming the folded transposed copy of the embedding
    assertTrue(
        output.matches(
            "(?s).*model\\.onnx: onnx::MatMul_\\d+ \\[64, 1000] is transpose \\[1, 0] of wte\\.weight, wasting 256000 bytes.*"),
        output);
    // the waste check reports is the saving the rewrite measured on disk (the Transpose node it
    // adds included)
    Matcher waste =
        Pattern.compile("check failed: (\\d+) bytes in untied duplicates").matcher(output);
    Matcher saved = Pattern.compile("pipeline: saved +(\\d+) bytes").matcher(output);
    assertTrue(waste.find() && saved.find(), output);
    assertEquals(saved.group(1), waste.group(1), output);
    assertTrue(
        output.contains("raw export has untied duplicates (check exit 1), as expected"), output);
    // step 3 verified bitwise; step 4 passed
    assertTrue(output.contains("PASSED: "), output);
    assertTrue(output.contains("check passed: no untied duplicates"), output);
    assertTrue(output.contains("pipeline: OK"), output);
    // and the files say the same, independently of the script's messages
    Path raw = work.resolve("model.onnx");
    Path tied = work.resolve("tied.onnx");
    InspectReport rawReport = OnnxTie.inspect(raw, 64);
    assertEquals(256_000, rawReport.duplicates().get(0).wastedBytes());
    assertEquals(
        Files.size(raw) - Files.size(tied),
        rawReport.wastedBytes(),
        "inspect's saving is the one the rewrite measured on disk");
    assertEquals("wte.weight", rawReport.duplicates().get(0).kept());
    assertEquals(0, OnnxTie.inspect(tied, 64).wastedBytes());
    assertTrue(
        Files.size(tied) < Files.size(raw) - 250_000, Files.size(raw) + " -> " + Files.size(tied));
    Verification again = OnnxTie.compare(raw, tied, VerifySettings.defaults().withSeed(7));
    assertTrue(again.passed(), again.toString());
  }

  /**
   * The pipeline's gating with stand-ins for python and onnx-tie (no torch, no JVM): every step
   * that misbehaves stops it with a non-zero status, and the all-good run passes (so the stand-ins
   * work).
   */
  @ParameterizedTest(name = "export {0}, check raw {1}, rewrite {2}, check tied {3} -> exit {4}")
  @CsvSource({
    "0, 1, 0, 0, 0, pipeline: OK",
    "3, 1, 0, 0, 3, export failed",
    "0, 0, 0, 0, 1, check passed on the raw export",
    "0, 2, 0, 0, 2, check on the raw export exited 2",
    "0, 1, 1, 0, 1, rewrite --verify exited 1",
    "0, 1, 0, 1, 1, duplicates remain"
  })
  void pipelineStopsOnEveryMisbehavingStep(
      int export, int checkRaw, int rewrite, int checkTied, int expected, String message)
      throws Exception {
    Path python = script("python", "head -c 4096 /dev/zero > \"$2\"", "exit " + export);
    Path cli =
        script(
            "onnx-tie",
            "case \"$1 $2\" in",
            "  'check '*/model.onnx) exit " + checkRaw + " ;;",
            "  'check '*/tied.onnx) exit " + checkTied + " ;;",
            "  'rewrite '*) [ "
                + rewrite
                + " = 0 ] || exit "
                + rewrite
                + "; head -c 1024 \"$2\" > \"$3\" ;;",
            "  *) echo \"unexpected: $*\"; exit 99 ;;",
            "esac");
    Finished pipeline =
        run(
            List.of("bash", "samples/pipeline/pipeline.sh", dir.resolve("work").toString()),
            Map.of("ONNX_TIE", cli.toString(), "PYTHON", python.toString()),
            60);
    assertEquals(expected, pipeline.code(), pipeline.output());
    assertTrue(pipeline.output().contains(message), pipeline.output());
    if (expected != 0) {
      assertTrue(pipeline.output().contains("pipeline: FAILED"), pipeline.output());
    }
  }
}
