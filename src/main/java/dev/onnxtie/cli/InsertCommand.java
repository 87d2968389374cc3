package dev.onnxtie.cli;

import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.pass.InsertOptions;
import dev.onnxtie.pass.PassResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code onnx-tie insert IN OUT --encoder NODE [...]}: add a decoder tied to an encoder's weight. */
@Command(name = "insert", mixinStandardHelpOptions = true,
    description = {"Add a decoder layer act(x · Wᵀ + b) whose weight is the encoder's own initializer read through a "
        + "Transpose (or a flipped Gemm transB): a tied autoencoder without a second copy of the weights.",
        "'onnx-tie inspect' lists the dense layers a model has."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie insert encoder.onnx tied_ae.onnx --encoder /dense/MatMul --activation same --bias encoder",
        "  onnx-tie insert mlp.onnx autoencoder.onnx --mirror --output reconstruction"})
final class InsertCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN", description = "model file")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "output file (may equal IN)")
  Path out;

  @Option(names = "--encoder", paramLabel = "NODE", description = "the encoder's MatMul or Gemm node (optional with --mirror)")
  String encoder;

  @Option(names = "--input", paramLabel = "TENSOR", description = "the decoder's input (default: the encoder's output, after its activation)")
  String input;

  @Option(names = "--activation", paramLabel = "none|relu|sigmoid|tanh|same", description = "the decoder's activation (default: ${DEFAULT-VALUE})")
  String activation = "none";

  @Option(names = "--bias", paramLabel = "zeros|none|encoder|INIT_NAME", description = "the decoder's bias (default: ${DEFAULT-VALUE})")
  String bias = "zeros";

  @Option(names = "--output", paramLabel = "NAME", description = "name of the new graph output (default: <encoder>_decoded, or reconstruction with --mirror)")
  String output;

  @Option(names = "--mirror", description = "append the whole mirrored decoder stack of the chain of dense layers that starts at a graph input")
  boolean mirror;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Override
  public Integer call() {
    PassResult result = OnnxTie.insert(in, out, new InsertOptions(encoder, input, activation, bias, output, mirror), WriteOptions.defaults());
    PrintWriter printer = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("input", in.toString());
      document.put("output", out.toString());
      document.put("notes", result.notes());
      printer.println(Json.of(document));
    } else {
      printer.println(in + " -> " + out);
      result.notes().forEach(note -> printer.println("  " + note));
    }
    return 0;
  }
}
