package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.InsertReport;
import dev.onnxtie.api.InsertRequest;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.VerificationFailedException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code onnx-tie insert IN OUT --encoder NODE [...]}: add a decoder tied to an encoder's weight.
 */
final class InsertCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command(
          "insert",
          this,
          "Add a decoder layer act(x · Wᵀ + b) whose weight is the encoder's own initializer read through a "
              + "Transpose (or a flipped Gemm transB): a tied autoencoder without a second copy of the weights.",
          "'onnx-tie inspect' lists the dense layers a model has.",
          "--verify runs IN and OUT in ONNX Runtime on IN's outputs before OUT appears; every verify option applies, "
              + "with --verify-input NAME=FILE for real input data (--input is the decoder's input).");

  private final PositionalParamSpec in =
      Specs.positional(spec, "0", "IN", Path.class, "model file");

  private final PositionalParamSpec out =
      Specs.positional(spec, "1", "OUT", Path.class, "output file (may equal IN)");

  private final OptionSpec encoder =
      Specs.add(
          spec,
          Specs.option(
              "--encoder",
              "NODE",
              String.class,
              null,
              "the encoder's MatMul or Gemm node (optional with --mirror)"));

  private final OptionSpec input =
      Specs.add(
          spec,
          Specs.option(
              "--input",
              "TENSOR",
              String.class,
              null,
              "the decoder's input (default: the encoder's output, after its activation)"));

  private final OptionSpec activation =
      Specs.add(
          spec,
          Specs.option(
                  "--activation",
                  "none|relu|sigmoid|tanh|same",
                  String.class,
                  "none",
                  "the decoder's activation (default: ${DEFAULT-VALUE})")
              .completionCandidates(InsertRequest.ACTIVATIONS));

  private final OptionSpec bias =
      Specs.add(
          spec,
          Specs.option(
              "--bias",
              "zeros|none|encoder|INIT_NAME",
              String.class,
              "zeros",
              "the decoder's bias (default: ${DEFAULT-VALUE})"));

  private final OptionSpec output =
      Specs.add(
          spec,
          Specs.option(
              "--output",
              "NAME",
              String.class,
              null,
              "name of the new graph output (default: <encoder>_decoded, or reconstruction with --mirror)"));

  private final OptionSpec mirror =
      Specs.flag(
          spec,
          "--mirror",
          "append the whole mirrored decoder stack of the chain of dense layers that starts at a graph input");

  private final OptionSpec verify =
      Specs.flag(
          spec,
          "--verify",
          "run IN and OUT in ONNX Runtime on IN's outputs before OUT appears; exit 1 and write nothing on a mismatch");

  private final SharedOptions.VerifyOptionsMixin verifyOptions =
      new SharedOptions.VerifyOptionsMixin(spec);

  private final OptionSpec verifyInputs =
      Specs.add(
          spec,
          Specs.map(
              "--verify-input",
              "NAME=FILE",
              Path.class,
              "with --verify: real data for an input, .npy or ONNX TensorProto .pb (repeatable)"));

  private final SharedOptions.JsonOption json = new SharedOptions.JsonOption(spec);

  private final SharedOptions.AllowNewerIrOption allowNewerIr =
      new SharedOptions.AllowNewerIrOption(spec);

  InsertCommand() {
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie insert encoder.onnx ae.onnx --encoder /dense/MatMul --bias encoder",
        "  onnx-tie insert mlp.onnx autoencoder.onnx --mirror --output reconstruction",
        "  onnx-tie insert mlp.onnx autoencoder.onnx --mirror --verify --dim batch=4");
  }

  @Override
  public Integer call() {
    try (var newerIr = allowNewerIr.scope()) {
      return run();
    }
  }

  private Integer run() {
    Map<String, Path> verifyInputs = this.verifyInputs.getValue();
    boolean verify = this.verify.getValue();
    if (!verify && (verifyOptions.anyGiven(spec) || !verifyInputs.isEmpty())) {
      throw OnnxTieException.badInput(
          "verify options (--dim, --range, --verify-input, --atol, ...) apply with --verify; add --verify");
    }
    var verifyWith = verify ? verifyOptions.arguments(verifyInputs).validated() : null;
    PrintWriter printer = spec.commandLine().getOut();
    InsertReport report;
    try {
      report =
          OnnxTie.insert(
              in.getValue(),
              out.getValue(),
              new InsertRequest(
                  encoder.getValue(),
                  input.getValue(),
                  activation.getValue(),
                  bias.getValue(),
                  output.getValue(),
                  mirror.getValue(),
                  verifyWith));
    } catch (VerificationFailedException mismatch) {
      if (json.on()) {
        printer.println(
            Json.failure(
                "insert", mismatch.exitCode(), mismatch.getMessage(), mismatch.verification()));
      } else {
        VerifyText.verification(printer, mismatch.verification());
      }
      printer.flush();
      throw mismatch;
    }
    if (json.on()) {
      printer.println(Json.envelope("insert", 0, report));
    } else {
      RewriteText.insert(printer, report);
    }
    return 0;
  }
}
