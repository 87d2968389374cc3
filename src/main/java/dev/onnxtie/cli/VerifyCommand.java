package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.verify.OptLevel;
import dev.onnxtie.verify.Provider;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.verify.VerifyOptions;
import dev.onnxtie.verify.VerifyReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code onnx-tie verify A [B] [...]}: run models in ONNX Runtime on the same inputs and compare every output. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Run two models in ONNX Runtime (CUDA when present, CPU otherwise) on the same inputs and compare every output.",
        "With one model and --data-set DIR holding output_*.pb, compare the model's outputs with those expected outputs.",
        "Exit 0 when all outputs match, 1 on a mismatch, 2 on bad input."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie verify model.onnx tied.onnx",
        "  onnx-tie verify model.onnx tied.onnx --dim batch=2 --dim sequence=16 --runs 3 --json",
        "  onnx-tie verify model.onnx --data-set test_data_set_0"})
final class VerifyCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @picocli.CommandLine.ParentCommand OnnxTieCli root;

  @Parameters(index = "0", paramLabel = "A", description = "the reference model")
  Path a;

  @Parameters(index = "1", arity = "0..1", paramLabel = "B", description = "the model to compare (omit with --data-set)")
  Path b;

  @Option(names = "--seed", paramLabel = "N", description = "seed of the synthesized inputs (default: ${DEFAULT-VALUE})")
  long seed = VerifyOptions.DEFAULT_SEED;

  @Option(names = "--dim", paramLabel = "NAME=VALUE", description = "value of a symbolic dim, e.g. --dim batch=2 (repeatable)")
  Map<String, Long> dims = new LinkedHashMap<>();

  @Option(names = "--range", paramLabel = "NAME=LO:HI", description = "values of an input in [LO, HI) (repeatable); integer inputs that index a Gather get [0, V) by default")
  Map<String, String> ranges = new LinkedHashMap<>();

  @Option(names = "--input", paramLabel = "NAME=FILE", description = "real data for an input: .npy or ONNX TensorProto .pb (repeatable)")
  Map<String, Path> inputs = new LinkedHashMap<>();

  @Option(names = "--data-set", paramLabel = "DIR", description = "a folder in ONNX's test layout (input_0.pb ..., output_0.pb ...)")
  Path dataSet;

  @Option(names = "--runs", paramLabel = "N", description = "input sets with seeds seed, seed+1, ... (default: ${DEFAULT-VALUE})")
  int runs = 1;

  @Option(names = "--provider", paramLabel = "auto|cuda|cpu", description = "execution provider (default: ${DEFAULT-VALUE})")
  String provider = "auto";

  @Option(names = "--opt-level", paramLabel = "disable|basic|extended|all", description = "session graph optimizations (default: ${DEFAULT-VALUE})")
  String optLevel = "all";

  @Option(names = "--atol", paramLabel = "X", description = "absolute tolerance (default: ${DEFAULT-VALUE})")
  double atol = VerifyOptions.DEFAULT_TOLERANCE;

  @Option(names = "--rtol", paramLabel = "X", description = "relative tolerance (default: ${DEFAULT-VALUE}); an element fails only beyond both")
  double rtol = VerifyOptions.DEFAULT_TOLERANCE;

  @Option(names = "--disable-prepacking", description = "create sessions with session.disable_prepacking=1 (where --form gemm saves memory)")
  boolean disablePrepacking;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Override
  public Integer call() {
    VerifyOptions options = options(seed, dims, ranges, inputs, dataSet, runs, provider, optLevel, atol, rtol, disablePrepacking);
    if (b == null && dataSet == null) {
      throw OnnxTieException.badInput("give a second model B, or --data-set DIR with expected outputs");
    }
    VerifyReport report = b == null ? OnnxTie.verifyExpected(a, dataSet, options) : OnnxTie.verify(a, b, options, root.progress());
    root.endProgress();
    PrintWriter out = spec.commandLine().getOut();
    out.println(json ? report.toJson() : report.toText());
    return report.passed() ? 0 : OnnxTieException.CHECK_FAILED;
  }

  /** Builds verify options from CLI values; shared with {@code rewrite --verify}. */
  static VerifyOptions options(long seed, Map<String, Long> dims, Map<String, String> ranges, Map<String, Path> inputs,
      Path dataSet, int runs, String provider, String optLevel, double atol, double rtol, boolean disablePrepacking) {
    Map<String, long[]> parsed = new LinkedHashMap<>();
    ranges.forEach((name, text) -> parsed.put(name, parseRange(name, text)));
    return VerifyOptions.defaults().withSeed(seed).withDims(dims).withRanges(parsed).withInputs(inputs).withDataSet(dataSet)
        .withRuns(runs).withProvider(choice(Provider.class, "--provider", provider)).withOptLevel(choice(OptLevel.class, "--opt-level", optLevel))
        .withTolerance(atol, rtol).withDisablePrepacking(disablePrepacking);
  }

  private static long[] parseRange(String name, String text) {
    String[] parts = text.split(":");
    try {
      if (parts.length == 2) {
        return new long[] {Long.parseLong(parts[0].trim()), Long.parseLong(parts[1].trim())};
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw OnnxTieException.badInput("--range " + name + "=" + text + " must be NAME=LO:HI with integers, e.g. input_ids=0:50257");
  }

  private static <E extends Enum<E>> E choice(Class<E> type, String option, String text) {
    try {
      return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> valid = java.util.Arrays.stream(type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
      throw OnnxTieException.badInput("unknown " + option + " '" + text + "'; valid: " + String.join(", ", valid));
    }
  }
}
