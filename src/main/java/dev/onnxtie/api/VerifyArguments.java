package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.verify.OptLevel;
import dev.onnxtie.verify.Provider;
import dev.onnxtie.verify.ValueRange;
import dev.onnxtie.verify.VerifyOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Verification settings as a user gives them (the command line's words): turned into {@link
 * VerifyOptions} by {@link #toOptions()}, whose errors name the option to fix.
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
public record VerifyArguments(
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

  /** The options these arguments stand for. */
  public VerifyOptions toOptions() {
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
}
