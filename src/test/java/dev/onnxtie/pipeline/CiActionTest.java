package dev.onnxtie.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI step (.github/actions/onnx-tie-check): its script run as the composite action runs it (the
 * env the action's step sets, a fake GITHUB_STEP_SUMMARY and GITHUB_OUTPUT, no network), with this
 * build's CLI as onnx-tie.
 */
class CiActionTest {
  static final Path ROOT = TestModels.samples().getParent();
  static final Path ACTION = ROOT.resolve(".github/actions/onnx-tie-check");

  @TempDir Path dir;

  record Step(int code, String summary, String outputs, String log) {}

  Step step(String paths, Map<String, String> inputs) throws Exception {
    Path cli = TestJvm.standInLauncher(dir.resolve("onnx-tie"));
    Path summary = dir.resolve("summary.md");
    Path outputs = dir.resolve("outputs.txt");
    Files.writeString(summary, "");
    Files.writeString(outputs, "");
    Path log = dir.resolve("step.log");
    // what action.yml's step runs, with its env
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", "bash \"$GITHUB_ACTION_PATH/check.sh\"")
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("GITHUB_ACTION_PATH", ACTION.toString());
    env.put("GITHUB_STEP_SUMMARY", summary.toString());
    env.put("GITHUB_OUTPUT", outputs.toString());
    env.put("INPUT_PATHS", paths);
    env.put("INPUT_ONNX_TIE", cli.toString());
    env.put("INPUT_ARGS", "");
    env.put("INPUT_FAIL_ON_DUPLICATES", "true");
    env.putAll(inputs);
    Process process = builder.start();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the step finished");
    return new Step(
        process.exitValue(),
        Files.readString(summary),
        Files.readString(outputs),
        Files.readString(log));
  }

  @Test
  void untiedModelFailsTheStepWithATableAndTheFix() throws Exception {
    Step step = step("samples/gpt2_tied/model.onnx\n", Map.of());
    assertEquals(1, step.code(), step.log());
    assertTrue(step.summary().startsWith("### onnx-tie check: failed\n"), step.summary());
    assertTrue(
        step.summary()
            .contains(
                "| samples/gpt2_tied/model.onnx | onnx::MatMul_393 | [64, 1000] | transpose [1, 0]"
                    + " | wte.weight | 256000 |"),
        step.summary());
    long wasted =
        OnnxTie.check(
                List.of(TestModels.samples().resolve("gpt2_tied/model.onnx")),
                64,
                true,
                1,
                Progress.NONE)
            .wastedBytes();
    assertTrue(
        step.summary().contains("**" + wasted + " bytes** in untied duplicates"), step.summary());
    assertTrue(
        step.summary()
            .contains("```sh\nonnx-tie rewrite samples/gpt2_tied/model.onnx model-tied.onnx\n```"),
        step.summary());
    assertEquals("passed=false\nwasted-bytes=" + wasted + "\nexit-code=1\n", step.outputs());
    assertTrue(step.log().contains("### onnx-tie check: failed"), "printed to the log too");
  }

  @Test
  void failOnDuplicatesFalseKeepsTheStepGreen() throws Exception {
    Step step = step("samples/gpt2_tied/model.onnx", Map.of("INPUT_FAIL_ON_DUPLICATES", "false"));
    assertEquals(0, step.code(), step.log());
    assertTrue(step.outputs().contains("exit-code=1\n"), step.outputs());
  }

  @Test
  void tiedModelsAndFoldersPass() throws Exception {
    Path models = dir.resolve("models");
    Files.createDirectories(models);
    OnnxTie.rewrite(
        TestModels.samples().resolve("gpt2_tied/model.onnx"),
        models.resolve("gpt2.onnx"),
        RewriteOptions.defaults());
    Files.copy(TestModels.samples().resolve("mlp_encoder/model.onnx"), dir.resolve("mlp.onnx"));
    Step step = step(models + " " + dir.resolve("mlp.onnx"), Map.of());
    assertEquals(0, step.code(), step.log());
    assertEquals(
        "### onnx-tie check: passed\n\nNo untied duplicates of at least 64 bytes.\n",
        step.summary());
    assertEquals("passed=true\nwasted-bytes=0\nexit-code=0\n", step.outputs());
  }

  @Test
  void badInputIsExit2WithTheMessageInTheSummary() throws Exception {
    Step step = step("no/such.onnx", Map.of("INPUT_ARGS", "--min-bytes 4096"));
    assertEquals(2, step.code(), step.log());
    assertEquals(
        "### onnx-tie check: error (exit 2)\n\nno such model file: no/such.onnx\n", step.summary());
    assertTrue(step.log().contains("onnx-tie: no such model file: no/such.onnx"), step.log());
  }

  @Test
  void missingExecutableIsExit2() throws Exception {
    Step step = step("samples/gpt2_tied/model.onnx", Map.of("INPUT_ONNX_TIE", "no-such-onnx-tie"));
    assertEquals(2, step.code(), step.log());
    assertTrue(step.summary().contains("no-such-onnx-tie not found"), step.summary());
  }

  @Test
  void actionRunsTheTestedScriptWithTheseInputs() throws Exception {
    String action = Files.readString(ACTION.resolve("action.yml"));
    assertTrue(action.contains("using: composite"), action);
    assertTrue(action.contains("run: bash \"$GITHUB_ACTION_PATH/check.sh\""), action);
    for (String input : List.of("PATHS", "ONNX_TIE", "ARGS", "FAIL_ON_DUPLICATES")) {
      String name = input.toLowerCase(Locale.ROOT).replace('_', '-');
      assertTrue(
          action.contains("INPUT_" + input + ": ${{ inputs." + name + " }}"),
          "input " + name + " reaches the script");
    }
  }
}
