package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Verification;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code onnx-tie verify A [B] [...]}: run models in ONNX Runtime on the same inputs and compare
 * every output.
 */
final class VerifyCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command(
          "verify",
          this,
          "Run two models in ONNX Runtime (CUDA when present, CPU otherwise) on the same inputs and compare every output.",
          "With one model and --data-set DIR holding output_*.pb, compare the model's outputs with those expected outputs.",
          "Exit 0 when all outputs match, 1 on a mismatch, 2 on bad input, 3 on an internal error.");

  private final PositionalParamSpec a =
      Specs.positional(spec, "0", "A", Path.class, "the reference model");

  private final PositionalParamSpec b =
      Specs.positional(
          spec,
          PositionalParamSpec.builder()
              .index("1")
              .arity("0..1")
              .paramLabel("B")
              .type(Path.class)
              .description("the model to compare (omit with --data-set)"));

  private final SharedOptions.VerifyOptionsMixin verifyOptions =
      new SharedOptions.VerifyOptionsMixin(spec);

  private final SharedOptions.InputFilesOption inputFiles =
      new SharedOptions.InputFilesOption(spec);

  private final SharedOptions.JsonOption json = new SharedOptions.JsonOption(spec);

  private final SharedOptions.AllowNewerIrOption allowNewerIr =
      new SharedOptions.AllowNewerIrOption(spec);

  private final OnnxTieCli root;

  VerifyCommand(OnnxTieCli root) {
    this.root = root;
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie verify model.onnx tied.onnx",
        "  onnx-tie verify model.onnx tied.onnx --dim batch=2 --runs 3 --json",
        "  onnx-tie verify encoder.onnx tied_ae.onnx --outputs y",
        "  onnx-tie verify model.onnx --data-set test_data_set_0");
  }

  @Override
  public Integer call() {
    try (var newerIr = allowNewerIr.scope()) {
      return run();
    }
  }

  private Integer run() {
    var options = verifyOptions.arguments(inputFiles.files()).validated();
    Path a = this.a.getValue();
    Path b = this.b.getValue();
    if (b == null && verifyOptions.dataSet() == null) {
      throw OnnxTieException.badInput(
          "give a second model B, or --data-set DIR with expected outputs");
    }
    Verification report =
        b == null
            ? OnnxTie.compareExpected(a, verifyOptions.dataSet(), options)
            : OnnxTie.compare(a, b, options, root.progress());
    root.endProgress();
    int code = report.passed() ? 0 : OnnxTieException.CHECK_FAILED;
    PrintWriter out = spec.commandLine().getOut();
    if (json.on()) {
      out.println(Json.envelope("verify", code, report));
    } else {
      VerifyText.verification(out, report);
    }
    return code;
  }
}
