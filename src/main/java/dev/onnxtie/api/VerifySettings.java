package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.verify.OptLevel;
import dev.onnxtie.verify.Provider;
import dev.onnxtie.verify.ValueRange;
import dev.onnxtie.verify.VerifyOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a verification feeds the models and how it judges their outputs, in the command line's words
 * ({@code verify}'s options): start from {@link #defaults()} and change what you need. The values
 * are checked when a verification starts; errors name the option to fix.
 *
 * @param dims symbolic dim values ({@code --dim NAME=V})
 * @param ranges value ranges as {@code LO:HI} ({@code --range NAME=LO:HI}; {@code LO:LO} is the
 *     fixed value LO)
 * @param inputs real data files by input name
 * @param dataSet a folder in ONNX test layout, or null
 * @param runs input sets to run
 * @param seed seed of the first run
 * @param provider {@code auto}, {@code cuda} or {@code cpu}
 * @param optLevel {@code disable}, {@code basic}, {@code extended} or {@code all}
 * @param atol absolute tolerance
 * @param rtol relative tolerance
 * @param disablePrepacking sessions with prepacking off
 * @param outputs outputs to compare (empty: all)
 * @param allowEmpty accept a comparison of no element
 * @param loadAsIs load single-file models as they are, not from a page-aligned copy that ONNX
 *     Runtime maps
 */
public record VerifySettings(
    Map<String, Long> dims,
    Map<String, String> ranges,
    Map<String, Path> inputs,
    Path dataSet,
    int runs,
    long seed,
    String provider,
    String optLevel,
    double atol,
    double rtol,
    boolean disablePrepacking,
    List<String> outputs,
    boolean allowEmpty,
    boolean loadAsIs) {

  /** The valid {@code --provider} values. */
  public static final List<String> PROVIDERS = names(Provider.class);

  /** The valid {@code --opt-level} values. */
  public static final List<String> OPT_LEVELS = names(OptLevel.class);

  /** The default seed. */
  public static final long DEFAULT_SEED = VerifyOptions.DEFAULT_SEED;

  /** The default tolerances. */
  public static final double DEFAULT_TOLERANCE = VerifyOptions.DEFAULT_TOLERANCE;

  /** Copies the collections (null: empty). */
  public VerifySettings {
    dims = dims == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(dims));
    ranges = ranges == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(ranges));
    inputs = inputs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
  }

  /**
   * Seed {@value #DEFAULT_SEED}, no dims, ranges or files, one run, provider {@code auto}, all
   * graph optimizations, atol = rtol = {@value #DEFAULT_TOLERANCE}.
   */
  public static VerifySettings defaults() {
    return new VerifySettings(
        Map.of(),
        Map.of(),
        Map.of(),
        null,
        1,
        DEFAULT_SEED,
        "auto",
        "all",
        DEFAULT_TOLERANCE,
        DEFAULT_TOLERANCE,
        false,
        List.of(),
        false,
        false);
  }

  /** The same settings with these symbolic dim values only. */
  public VerifySettings withDims(Map<String, Long> newDims) {
    return edit(copy -> copy.dims = newDims);
  }

  /** The same settings with the value of a symbolic dim ({@code --dim NAME=V}). */
  public VerifySettings withDim(String dimParam, long value) {
    Map<String, Long> more = new LinkedHashMap<>(dims);
    more.put(dimParam, value);
    return edit(copy -> copy.dims = more);
  }

  /**
   * The same settings with the values of an input in {@code [LO, HI)} given as {@code "LO:HI"}
   * ({@code --range NAME=LO:HI}; {@code "LO:LO"} is the fixed value LO).
   */
  public VerifySettings withRange(String input, String range) {
    Map<String, String> more = new LinkedHashMap<>(ranges);
    more.put(input, range);
    return edit(copy -> copy.ranges = more);
  }

  /** The same settings with real data for an input: a {@code .npy} or TensorProto {@code .pb}. */
  public VerifySettings withInput(String input, Path file) {
    Map<String, Path> more = new LinkedHashMap<>(inputs);
    more.put(input, file);
    return edit(copy -> copy.inputs = more);
  }

  /** The same settings with a data set in ONNX's test layout (null: none). */
  public VerifySettings withDataSet(Path folder) {
    return edit(copy -> copy.dataSet = folder);
  }

  /** The same settings with another number of input sets. */
  public VerifySettings withRuns(int newRuns) {
    return edit(copy -> copy.runs = newRuns);
  }

  /** The same settings with another seed. */
  public VerifySettings withSeed(long newSeed) {
    return edit(copy -> copy.seed = newSeed);
  }

  /** The same settings with another execution provider (one of {@link #PROVIDERS}). */
  public VerifySettings withProvider(String newProvider) {
    return edit(copy -> copy.provider = newProvider);
  }

  /** The same settings with another graph optimization level (one of {@link #OPT_LEVELS}). */
  public VerifySettings withOptLevel(String newOptLevel) {
    return edit(copy -> copy.optLevel = newOptLevel);
  }

  /** The same settings with other tolerances. */
  public VerifySettings withTolerance(double newAtol, double newRtol) {
    return edit(
        copy -> {
          copy.atol = newAtol;
          copy.rtol = newRtol;
        });
  }

  /** The same settings, sessions with prepacking off or not. */
  public VerifySettings withDisablePrepacking(boolean disable) {
    return edit(copy -> copy.disablePrepacking = disable);
  }

  /** The same settings comparing only these outputs (empty: all). */
  public VerifySettings withOutputs(List<String> newOutputs) {
    return edit(copy -> copy.outputs = newOutputs);
  }

  /** The same settings, accepting a comparison of no element or not. */
  public VerifySettings withAllowEmpty(boolean allow) {
    return edit(copy -> copy.allowEmpty = allow);
  }

  /** The same settings, loading single-file models as they are or not. */
  public VerifySettings withLoadAsIs(boolean asIs) {
    return edit(copy -> copy.loadAsIs = asIs);
  }

  /**
   * These settings, checked as a verification checks them before it starts.
   *
   * @throws OnnxTieException (bad input) naming the option to fix
   */
  public VerifySettings validated() {
    toOptions();
    return this;
  }

  /** The verifier's options these settings stand for. */
  VerifyOptions toOptions() {
    Map<String, ValueRange> parsed = new LinkedHashMap<>();
    ranges.forEach((name, text) -> parsed.put(name, parseRange(name, text)));
    if (runs < 1) {
      throw OnnxTieException.badInput("--runs must be at least 1, not " + runs);
    }
    if (!(atol >= 0) || !(rtol >= 0)) {
      throw OnnxTieException.badInput(
          "--atol and --rtol must be numbers >= 0 (Infinity allowed), not "
              + atol
              + " and "
              + rtol);
    }
    dims.forEach(
        (name, value) -> {
          if (value < 0) {
            throw OnnxTieException.badInput("--dim " + name + "=" + value + ": a dim must be >= 0");
          }
        });
    return VerifyOptions.defaults()
        .withSeed(seed)
        .withDims(dims)
        .withRanges(parsed)
        .withInputs(inputs)
        .withDataSet(dataSet)
        .withRuns(runs)
        .withProvider(choice(Provider.class, "--provider", provider))
        .withOptLevel(choice(OptLevel.class, "--opt-level", optLevel))
        .withTolerance(atol, rtol)
        .withDisablePrepacking(disablePrepacking)
        .withOutputs(outputs)
        .withAllowEmpty(allowEmpty)
        .withLoadAsIs(loadAsIs);
  }

  private static ValueRange parseRange(String name, String text) {
    try {
      return ValueRange.parse(text);
    } catch (IllegalArgumentException e) { // NumberFormatException too
      throw OnnxTieException.badInput(
          "--range "
              + name
              + "="
              + text
              + " must be NAME=LO:HI with numbers LO <= HI, e.g. input_ids=0:50257 ([LO, HI)), temperature=0.5:1.5 or length_penalty=1:1 (the fixed value 1)");
    }
  }

  private static <E extends Enum<E>> E choice(Class<E> type, String option, String text) {
    try {
      return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw OnnxTieException.badInput(
          "unknown " + option + " '" + text + "'; valid: " + String.join(", ", names(type)));
    }
  }

  private static List<String> names(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(c -> c.name().toLowerCase(Locale.ROOT))
        .toList();
  }

  /** The fields of a settings value, changed by the withers. */
  private static final class Copy {
    Map<String, Long> dims;
    Map<String, String> ranges;
    Map<String, Path> inputs;
    Path dataSet;
    int runs;
    long seed;
    String provider;
    String optLevel;
    double atol;
    double rtol;
    boolean disablePrepacking;
    List<String> outputs;
    boolean allowEmpty;
    boolean loadAsIs;
  }

  private VerifySettings edit(Consumer<Copy> change) {
    Copy copy = new Copy();
    copy.dims = dims;
    copy.ranges = ranges;
    copy.inputs = inputs;
    copy.dataSet = dataSet;
    copy.runs = runs;
    copy.seed = seed;
    copy.provider = provider;
    copy.optLevel = optLevel;
    copy.atol = atol;
    copy.rtol = rtol;
    copy.disablePrepacking = disablePrepacking;
    copy.outputs = outputs;
    copy.allowEmpty = allowEmpty;
    copy.loadAsIs = loadAsIs;
    change.accept(copy);
    return new VerifySettings(
        copy.dims,
        copy.ranges,
        copy.inputs,
        copy.dataSet,
        copy.runs,
        copy.seed,
        copy.provider,
        copy.optLevel,
        copy.atol,
        copy.rtol,
        copy.disablePrepacking,
        copy.outputs,
        copy.allowEmpty,
        copy.loadAsIs);
  }
}
