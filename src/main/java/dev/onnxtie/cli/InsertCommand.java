package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.InsertReport;
import dev.onnxtie.api.InsertRequest;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.VerificationFailedException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code onnx-tie insert IN OUT --encoder NODE [...]}: add a decoder tied to an encoder's weight. */
@Command(name = "insert", mixinStandardHelpOptions = true,
    description = {"Add a decoder layer act(x · Wᵀ + b) whose weight is the encoder's own initializer read through a "
        + "Transpose (or a flipped Gemm transB): a tied autoencoder without a second copy of the weights.",
        "'onnx-tie inspect' lists the dense layers a model has.",
        "--verify runs IN and OUT in ONNX Runtime on IN's outputs before OUT appears; every verify option applies, "
        + "with --verify-input NAME=FILE for real input data (--input is the decoder's input)."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie insert encoder.onnx ae.onnx --encoder /dense/MatMul --bias encoder",
        "  onnx-tie insert mlp.onnx autoencoder.onnx --mirror --output reconstruction",
        "  onnx-tie insert mlp.onnx autoencoder.onnx --mirror --verify --dim batch=4"})
final class InsertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN", description = "model file")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "output file (may equal IN)")
  Path out;

  @Option(names = "--encoder", paramLabel = "NODE", description = "the encoder's MatMul or Gemm node (optional with --mirror)")
  String encoder;

  @Option(names = "--input", paramLabel = "TENSOR", description = "the decoder's input (default: the encoder's output, after its activation)")
  String input;

  @Option(names = "--activation", paramLabel = "none|relu|sigmoid|tanh|same", completionCandidates = SharedOptions.Candidates.Activations.class,
      description = "the decoder's activation (default: ${DEFAULT-VALUE})")
  String activation = "none";

  @Option(names = "--bias", paramLabel = "zeros|none|encoder|INIT_NAME", description = "the decoder's bias (default: ${DEFAULT-VALUE})")
  String bias = "zeros";

  @Option(names = "--output", paramLabel = "NAME", description = "name of the new graph output (default: <encoder>_decoded, or reconstruction with --mirror)")
  String output;

  @Option(names = "--mirror", description = "append the whole mirrored decoder stack of the chain of dense layers that starts at a graph input")
  boolean mirror;

  @Option(names = "--verify", description = "run IN and OUT in ONNX Runtime on IN's outputs before OUT appears; exit 1 and write nothing on a mismatch")
  boolean verify;

  @Mixin SharedOptions.VerifyOptionsMixin verifyOptions;

  @Option(names = "--verify-input", paramLabel = "NAME=FILE", description = "with --verify: real data for an input, .npy or ONNX TensorProto .pb (repeatable)")
  Map<String, Path> verifyInputs = new LinkedHashMap<>();

  @Mixin SharedOptions.JsonOption json;

  @Override
  public Integer call() {
    if (!verify && (SharedOptions.VerifyOptionsMixin.anyGiven(spec.commandLine().getParseResult()) || !verifyInputs.isEmpty())) {
      throw OnnxTieException.badInput("verify options (--dim, --range, --verify-input, --atol, ...) apply with --verify; add --verify");
    }
    var verifyWith = verify ? verifyOptions.arguments(verifyInputs).toOptions() : null;
    PrintWriter printer = spec.commandLine().getOut();
    InsertReport report;
    try {
      report = OnnxTie.insert(in, out, new InsertRequest(encoder, input, activation, bias, output, mirror, verifyWith));
    } catch (VerificationFailedException mismatch) {
      if (json.json) {
        printer.println(Json.failure("insert", mismatch.exitCode(), mismatch.getMessage(), mismatch.verification()));
      } else {
        Text.verification(printer, mismatch.verification());
      }
      printer.flush();
      throw mismatch;
    }
    if (json.json) {
      printer.println(Json.envelope("insert", 0, report));
    } else {
      Text.insert(printer, report);
    }
    return 0;
  }
}
