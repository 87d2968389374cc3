package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.InsertRequest;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.VerifyArguments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options several commands share, each block one picocli mixin: commands declare them with
 * {@code @Mixin} and never copy them.
 */
final class SharedOptions {
  private SharedOptions() {}

  /** {@code --json}. */
  static final class JsonOption {
    @Option(names = "--json", description = "print one JSON document (schema: schemas/onnx-tie.schema.json)")
    boolean json;
  }

  /** {@code --min-bytes N}. */
  static final class MinBytesOption {
    @Option(names = "--min-bytes", paramLabel = "N", description = "leave tensors smaller than N bytes alone (default: ${DEFAULT-VALUE})")
    long minBytes = OnnxTie.DEFAULT_MIN_BYTES;

    long value() {
      if (minBytes < 0) {
        throw OnnxTieException.badInput("--min-bytes must be >= 0, not " + minBytes);
      }
      return minBytes;
    }
  }

  /** {@code --jobs N}. */
  static final class JobsOption {
    @Option(names = "--jobs", paramLabel = "N", description = "with several models: work on N at a time (the output is the same) (default: ${DEFAULT-VALUE})")
    int jobs = 1;

    int value() {
      if (jobs < 1) {
        throw OnnxTieException.badInput("--jobs must be at least 1, not " + jobs);
      }
      return jobs;
    }
  }

  /**
   * Every option of a verification but the input files ({@code insert} has its own {@code --input}):
   * {@code verify} takes them, and so do {@code rewrite --verify} and {@code insert --verify}.
   */
  static final class VerifyOptionsMixin {
    @Option(names = "--dim", paramLabel = "NAME=VALUE", description = "value of a symbolic dim, e.g. --dim batch=2 (repeatable)")
    Map<String, Long> dims = new LinkedHashMap<>();

    @Option(names = "--range", paramLabel = "NAME=LO:HI", description = "values of an input in [LO, HI) (repeatable; decimals for floating-point inputs); LO:LO is the fixed value LO; integer inputs that index a Gather get [0, V) by default")
    Map<String, String> ranges = new LinkedHashMap<>();

    @Option(names = "--data-set", paramLabel = "DIR", description = "a folder in ONNX's test layout (input_0.pb ..., output_0.pb ...)")
    Path dataSet;

    @Option(names = "--runs", paramLabel = "N", description = "input sets with seeds seed, seed+1, ... (default: ${DEFAULT-VALUE})")
    int runs = 1;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the synthesized inputs (default: ${DEFAULT-VALUE})")
    long seed = VerifyArguments.DEFAULT_SEED;

    @Option(names = "--provider", paramLabel = "auto|cuda|cpu", completionCandidates = Candidates.Providers.class,
        description = "execution provider (default: ${DEFAULT-VALUE})")
    String provider = "auto";

    @Option(names = "--opt-level", paramLabel = "disable|basic|extended|all", completionCandidates = Candidates.OptLevels.class,
        description = "session graph optimizations (default: ${DEFAULT-VALUE})")
    String optLevel = "all";

    @Option(names = "--atol", paramLabel = "X", description = "absolute tolerance (default: ${DEFAULT-VALUE})")
    double atol = VerifyArguments.DEFAULT_TOLERANCE;

    @Option(names = "--rtol", paramLabel = "X", description = "relative tolerance (default: ${DEFAULT-VALUE}); an element fails only beyond both")
    double rtol = VerifyArguments.DEFAULT_TOLERANCE;

    @Option(names = "--disable-prepacking", description = "create sessions with session.disable_prepacking=1 (where --form gemm saves memory)")
    boolean disablePrepacking;

    @Option(names = "--outputs", paramLabel = "NAME", split = ",", description = "compare only these outputs (comma-separated or repeated)")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--allow-empty", description = "accept a verification that compares no element (e.g. with --dim batch=0)")
    boolean allowEmpty;

    @Option(names = "--load-as-is", description = "let ONNX Runtime load single-file models as they are (holding their weights twice"
        + " while loading, as your own session of the file does), not from a page-aligned external-data copy whose weights it maps")
    boolean loadAsIs;

    /** The arguments with the given input files. */
    VerifyArguments arguments(Map<String, Path> inputs) {
      return new VerifyArguments(dims, ranges, inputs, dataSet, runs, seed, provider, optLevel, atol, rtol, disablePrepacking,
          outputs, allowEmpty, loadAsIs);
    }

    /** True when any of these options was given on the command line (they need --verify in rewrite and insert). */
    static boolean anyGiven(picocli.CommandLine.ParseResult parsed) {
      for (String name : List.of("--dim", "--range", "--data-set", "--runs", "--seed", "--provider", "--opt-level", "--atol", "--rtol",
          "--disable-prepacking", "--outputs", "--allow-empty", "--load-as-is")) {
        if (parsed.hasMatchedOption(name)) {
          return true;
        }
      }
      return false;
    }
  }

  /** {@code --input NAME=FILE}: real data for a verification's input. */
  static final class InputFilesOption {
    @Option(names = "--input", paramLabel = "NAME=FILE", description = "real data for an input: .npy or ONNX TensorProto .pb (repeatable)")
    Map<String, Path> inputs = new LinkedHashMap<>();
  }

  /** Completion candidates of options with a fixed set of values. */
  static final class Candidates {
    private Candidates() {}

    /** {@code --form}. */
    static final class Forms extends ArrayList<String> {
      Forms() {
        super(RewriteOptions.FORMS);
      }
    }

    /** {@code --provider}. */
    static final class Providers extends ArrayList<String> {
      Providers() {
        super(VerifyArguments.PROVIDERS);
      }
    }

    /** {@code --opt-level}. */
    static final class OptLevels extends ArrayList<String> {
      OptLevels() {
        super(VerifyArguments.OPT_LEVELS);
      }
    }

    /** {@code --activation}. */
    static final class Activations extends ArrayList<String> {
      Activations() {
        super(InsertRequest.ACTIVATIONS);
      }
    }

    /** {@code completion}'s shell. */
    static final class Shells extends ArrayList<String> {
      Shells() {
        super(List.of("bash", "zsh"));
      }
    }
  }
}
