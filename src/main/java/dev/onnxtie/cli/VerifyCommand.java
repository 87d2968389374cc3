package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Verification;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code onnx-tie verify A [B] [...]}: run models in ONNX Runtime on the same inputs and compare every output. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Run two models in ONNX Runtime (CUDA when present, CPU otherwise) on the same inputs and compare every output.",
        "With one model and --data-set DIR holding output_*.pb, compare the model's outputs with those expected outputs.",
        "Exit 0 when all outputs match, 1 on a mismatch, 2 on bad input."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie verify model.onnx tied.onnx",
        "  onnx-tie verify model.onnx tied.onnx --dim batch=2 --runs 3 --json",
        "  onnx-tie verify encoder.onnx tied_ae.onnx --outputs y",
        "  onnx-tie verify model.onnx --data-set test_data_set_0"})
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @ParentCommand OnnxTieCli root;

  @Parameters(index = "0", paramLabel = "A", description = "the reference model")
  Path a;

  @Parameters(index = "1", arity = "0..1", paramLabel = "B", description = "the model to compare (omit with --data-set)")
  Path b;

  @Mixin SharedOptions.VerifyOptionsMixin verifyOptions;

  @Mixin SharedOptions.InputFilesOption inputFiles;

  @Mixin SharedOptions.JsonOption json;

  @Override
  public Integer call() {
    var options = verifyOptions.arguments(inputFiles.inputs).toOptions();
    if (b == null && verifyOptions.dataSet == null) {
      throw OnnxTieException.badInput("give a second model B, or --data-set DIR with expected outputs");
    }
    Verification report = b == null ? OnnxTie.compareExpected(a, verifyOptions.dataSet, options) : OnnxTie.compare(a, b, options, root.progress());
    root.endProgress();
    int code = report.passed() ? 0 : OnnxTieException.CHECK_FAILED;
    PrintWriter out = spec.commandLine().getOut();
    if (json.json) {
      out.println(Json.envelope("verify", code, report));
    } else {
      Text.verification(out, report);
    }
    return code;
  }
}
