package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.Jobs;
import dev.onnxtie.api.NewerIrSetting;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.VerifySettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options several commands share, each block one picocli mixin that a command adds with {@code
 * spec.addMixin}: defined here once, never copied (see {@link Specs} for why the model is built in
 * code).
 */
final class SharedOptions {
  private SharedOptions() {}

  /** {@code --json}. */
  static final class JsonOption {
    private final OptionSpec json;

    JsonOption(CommandSpec command) {
      CommandSpec mixin = CommandSpec.create();
      // the schema's path on a line of its own: picocli's line breaking would split it after a dot
      json =
          Specs.add(
              mixin,
              OptionSpec.builder("--json")
                  .type(boolean.class)
                  .initialValue(false)
                  .description(
                      "print one JSON document", "(schema: schemas/onnx-tie.schema.json)"));
      command.addMixin("json", mixin);
    }

    /** True when {@code --json} was given. */
    boolean on() {
      return json.getValue();
    }
  }

  /** {@code --min-bytes N}. */
  static final class MinBytesOption {
    private final OptionSpec minBytes;

    MinBytesOption(CommandSpec command) {
      CommandSpec mixin = CommandSpec.create();
      minBytes =
          Specs.add(
              mixin,
              Specs.option(
                  "--min-bytes",
                  "N",
                  long.class,
                  OnnxTie.DEFAULT_MIN_BYTES,
                  "leave tensors smaller than N bytes alone (default: ${DEFAULT-VALUE})"));
      command.addMixin("minBytes", mixin);
    }

    long value() {
      long value = minBytes.getValue();
      if (value < 0) {
        throw OnnxTieException.badInput("--min-bytes must be >= 0, not " + value);
      }
      return value;
    }
  }

  /** {@code --jobs N|auto}. */
  static final class JobsOption {
    private final OptionSpec jobs;

    /**
     * @param rewrite whether the command writes models (rewrite): its help says what {@code
     *     --verify} and a failure do
     */
    JobsOption(CommandSpec command, boolean rewrite) {
      CommandSpec mixin = CommandSpec.create();
      jobs =
          Specs.add(
              mixin,
              Specs.option(
                  "--jobs",
                  "N|auto",
                  String.class,
                  "1",
                  "with several models: work on N at a time"
                      + (rewrite
                          ? " (the same output; after a failure, models other jobs had finished are kept too)"
                          : " (the output is the same)")
                      + "; auto: one per core, at most "
                      + Jobs.MAX_AUTO
                      + (rewrite ? ", one with --verify" : "")
                      + " (default: ${DEFAULT-VALUE})"));
      command.addMixin("jobs", mixin);
    }

    /**
     * The number of models at a time; {@code verifying}: auto gives one (see {@link Jobs#auto}).
     */
    int value(boolean verifying) {
      String value = jobs.getValue();
      if (value.equals("auto")) {
        return Jobs.auto(verifying);
      }
      int count;
      try {
        count = Integer.parseInt(value.strip());
      } catch (NumberFormatException e) {
        throw OnnxTieException.badInput(
            "--jobs takes a number of models at a time or auto, not '" + value + "'");
      }
      if (count < 1) {
        throw OnnxTieException.badInput("--jobs must be at least 1, not " + count);
      }
      return count;
    }
  }

  /**
   * Every option of a verification but the input files ({@code insert} has its own {@code
   * --input}): {@code verify} takes them, and so do {@code rewrite --verify} and {@code insert
   * --verify}.
   */
  static final class VerifyOptionsMixin {
    /** These options, as a mixin of the command. */
    private final CommandSpec mixin = CommandSpec.create();

    private final OptionSpec dims;
    private final OptionSpec ranges;
    private final OptionSpec dataSet;
    private final OptionSpec runs;
    private final OptionSpec seed;
    private final OptionSpec provider;
    private final OptionSpec optLevel;
    private final OptionSpec atol;
    private final OptionSpec rtol;
    private final OptionSpec disablePrepacking;
    private final OptionSpec outputs;
    private final OptionSpec allowEmpty;
    private final OptionSpec loadAsIs;

    VerifyOptionsMixin(CommandSpec command) {
      dims =
          Specs.add(
              mixin,
              Specs.map(
                  "--dim",
                  "NAME=VALUE",
                  Long.class,
                  "value of a symbolic dim, for example --dim batch=2 (repeatable)"));
      ranges =
          Specs.add(
              mixin,
              Specs.map(
                  "--range",
                  "NAME=LO:HI",
                  String.class,
                  "values of an input in [LO, HI) (repeatable; decimals "
                      + "for floating-point inputs); LO:LO is the fixed value LO; integer inputs that index a Gather get [0, V) by default"));
      dataSet =
          Specs.add(
              mixin,
              Specs.option(
                  "--data-set",
                  "DIR",
                  Path.class,
                  null,
                  "a folder in ONNX's test layout (input_0.pb ..., output_0.pb ...)"));
      runs =
          Specs.add(
              mixin,
              Specs.option(
                  "--runs",
                  "N",
                  int.class,
                  1,
                  "input sets with seeds seed, seed+1, ... (default: ${DEFAULT-VALUE})"));
      seed =
          Specs.add(
              mixin,
              Specs.option(
                  "--seed",
                  "N",
                  long.class,
                  VerifySettings.DEFAULT_SEED,
                  "seed of the synthesized inputs (default: ${DEFAULT-VALUE})"));
      provider =
          Specs.add(
              mixin,
              Specs.option(
                      "--provider",
                      "auto|cuda|cpu",
                      String.class,
                      "auto",
                      "execution provider (default: ${DEFAULT-VALUE})")
                  .completionCandidates(VerifySettings.PROVIDERS));
      optLevel =
          Specs.add(
              mixin,
              Specs.option(
                      "--opt-level",
                      "disable|basic|extended|all",
                      String.class,
                      "all",
                      "session graph optimizations (default: ${DEFAULT-VALUE})")
                  .completionCandidates(VerifySettings.OPT_LEVELS));
      atol =
          Specs.add(
              mixin,
              Specs.option(
                  "--atol",
                  "X",
                  double.class,
                  VerifySettings.DEFAULT_TOLERANCE,
                  "absolute tolerance (default: ${DEFAULT-VALUE})"));
      rtol =
          Specs.add(
              mixin,
              Specs.option(
                  "--rtol",
                  "X",
                  double.class,
                  VerifySettings.DEFAULT_TOLERANCE,
                  "relative tolerance (default: ${DEFAULT-VALUE}); an element fails only beyond both"));
      disablePrepacking =
          Specs.flag(
              mixin,
              "--disable-prepacking",
              "create sessions with session.disable_prepacking=1 (where --form gemm saves memory)");
      outputs =
          Specs.add(
              mixin,
              OptionSpec.builder("--outputs")
                  .paramLabel("NAME")
                  .type(List.class)
                  .auxiliaryTypes(String.class)
                  .splitRegex(",")
                  .initialValue(new ArrayList<String>())
                  .description("compare only these outputs (comma-separated or repeated)"));
      allowEmpty =
          Specs.flag(
              mixin,
              "--allow-empty",
              "accept a verification that compares no element (for example with --dim batch=0)");
      loadAsIs =
          Specs.flag(
              mixin,
              "--load-as-is",
              "let ONNX Runtime load single-file models as they are (holding their weights twice"
                  + " while loading, as your own session of the file does), not from a page-aligned external-data copy whose weights it maps");
      command.addMixin("verifyOptions", mixin);
    }

    /** {@code --data-set}, or null. */
    Path dataSet() {
      return dataSet.getValue();
    }

    /** The arguments with the given input files. */
    VerifySettings arguments(Map<String, Path> inputs) {
      return new VerifySettings(
          dims.getValue(),
          ranges.getValue(),
          inputs,
          dataSet(),
          runs.getValue(),
          seed.getValue(),
          provider.getValue(),
          optLevel.getValue(),
          atol.getValue(),
          rtol.getValue(),
          disablePrepacking.getValue(),
          outputs.getValue(),
          allowEmpty.getValue(),
          loadAsIs.getValue());
    }

    /**
     * True when any of these options was given on the command line (they need --verify in rewrite
     * and insert).
     */
    boolean anyGiven(CommandSpec command) {
      for (OptionSpec option : mixin.options()) {
        if (command.commandLine().getParseResult().hasMatchedOption(option)) {
          return true;
        }
      }
      return false;
    }
  }

  /** {@code --allow-newer-ir}: read models of an IR version newer than this tool knows. */
  static final class AllowNewerIrOption {
    private final OptionSpec allow;

    AllowNewerIrOption(CommandSpec command) {
      CommandSpec mixin = CommandSpec.create();
      allow =
          Specs.flag(
              mixin,
              "--allow-newer-ir",
              "read models of an IR version newer than this tool knows: every field it does not "
                  + "know is kept byte for byte, and no tensor of a dtype it does not know is tied");
      command.addMixin("allowNewerIr", mixin);
    }

    /** The setting for the command's run; close it when the command ends. */
    NewerIrSetting scope() {
      return OnnxTie.allowNewerIr(allow.<Boolean>getValue());
    }
  }

  /** {@code --input NAME=FILE}: real data for a verification's input. */
  static final class InputFilesOption {
    private final OptionSpec inputs;

    InputFilesOption(CommandSpec command) {
      CommandSpec mixin = CommandSpec.create();
      inputs =
          Specs.add(
              mixin,
              Specs.map(
                  "--input",
                  "NAME=FILE",
                  Path.class,
                  "real data for an input: .npy or ONNX TensorProto .pb (repeatable)"));
      command.addMixin("inputFiles", mixin);
    }

    /** The files by input name, in the order given. */
    Map<String, Path> files() {
      return inputs.getValue();
    }
  }
}
