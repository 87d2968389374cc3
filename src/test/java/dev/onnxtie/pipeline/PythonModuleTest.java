package dev.onnxtie.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * python/onnx_tie.py under Debian's python3, against this build's CLI: its unittest suite
 * (python/test_onnx_tie.py: rewrite with verification, check, inspect, verify, options, the exit-2
 * error with its one-line message, the launcher on PATH) and the README's one-liner.
 */
class PythonModuleTest {
  static final Path ROOT = TestModels.samples().getParent();
  static final String PYTHON = "/usr/bin/python3";

  @TempDir Path dir;

  /** An onnx-tie executable that runs this build's CLI (classes and test class path). */
  Path cli() throws Exception {
    return TestJvm.standInLauncher(dir.resolve("bin/onnx-tie"));
  }

  String run(List<String> command, Path onnxTie, int expectedCode) throws Exception {
    Path log = dir.resolve("python.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("ONNX_TIE", onnxTie.toString());
    Process process = builder.start();
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("timed out: " + command + "\n" + Files.readString(log));
    }
    String output = Files.readString(log);
    assertEquals(expectedCode, process.exitValue(), output);
    return output;
  }

  @Test
  void unittestSuitePasses() throws Exception {
    String output =
        run(List.of(PYTHON, "-m", "unittest", "discover", "-s", "python", "-v"), cli(), 0);
    assertTrue(output.contains("Ran 8 tests"), output);
    assertTrue(output.trim().endsWith("OK"), output);
  }

  @Test
  void oneLinerOnASampleAndItsFailure() throws Exception {
    Path out = dir.resolve("tied.onnx");
    String output =
        run(
            List.of(
                PYTHON,
                "-c",
                // docs/pipelines.md's one-liner, writing to this test's folder
                "import sys; sys.path.insert(0, 'python'); import onnx_tie;"
                    + " r = onnx_tie.rewrite('samples/gpt2_tied/model.onnx', '"
                    + out
                    + "'); print(r['bytesBefore'], '->', r['bytesAfter'], 'bytes, verified:',"
                    + " r['models'][0]['verification']['passed'])"),
            cli(),
            0);
    assertEquals("976817 -> " + Files.size(out) + " bytes, verified: True", output.trim());
    String failed =
        run(
            List.of(
                PYTHON,
                "-c",
                "import sys; sys.path.insert(0, 'python'); import onnx_tie\n"
                    + "try:\n  onnx_tie.check('no/such.onnx')\n"
                    + "except onnx_tie.OnnxTieError as e:\n  print(e.exit_code, e.message); sys.exit(e.exit_code)"),
            cli(),
            2);
    assertEquals("2 no such model file: no/such.onnx", failed.trim());
  }

  @Test
  void pipelineExampleExportsWithTorchAndTies() throws Exception {
    Path work = dir.resolve("work");
    String output = run(List.of(PYTHON, "samples/pipeline/pipeline.py", work.toString()), cli(), 0);
    assertTrue(
        output.contains("pipeline.py: tied onnx::MatMul_393 = transpose of wte.weight"), output);
    assertTrue(output.contains("verified in ONNX Runtime: True"), output);
    Matcher ok = Pattern.compile("pipeline.py: OK: (\\d+) -> (\\d+) bytes").matcher(output);
    assertTrue(ok.find(), output);
    Path raw = work.resolve("model.onnx");
    Path tied = work.resolve("tied.onnx");
    assertEquals(Files.size(raw), Long.parseLong(ok.group(1)));
    assertEquals(Files.size(tied), Long.parseLong(ok.group(2)));
    assertEquals(256_000, OnnxTie.inspect(raw, 64).duplicates().get(0).wastedBytes());
    assertEquals(0, OnnxTie.inspect(tied, 64).wastedBytes());
  }
}
