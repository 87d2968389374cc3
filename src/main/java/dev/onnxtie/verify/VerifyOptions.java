package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a verification feeds the models and how it judges their outputs.
 *
 * @param seed seed of the first run's synthesized inputs; run {@code i} (from 0) uses {@code seed +
 *     i}
 * @param dims values for symbolic dimensions, by {@code dim_param} name; a symbolic dim not named
 *     here gets {@link InputSynthesizer#BATCH_DIM} when its name contains "batch", else {@link
 *     InputSynthesizer#OTHER_DIM}
 * @param ranges value ranges for synthesized inputs, by input name: {@code [lo, hi)}, so {@code
 *     0:1000} draws 0..999 (integers) or values in [0.0, 1000.0) (floating point), and {@code lo ==
 *     hi} is the fixed value lo; overrides the range {@link InputSynthesizer#inferRanges} infers
 * @param inputs real data by input name: a {@code .npy} file or an ONNX {@code TensorProto} {@code
 *     .pb} file; the same data is used in every run
 * @param dataSet a folder in ONNX test layout ({@code input_0.pb}, ...) whose tensors feed the
 *     inputs it names (by TensorProto name, or by position when names are empty); null for none
 * @param runs how many input sets to run, at least 1
 * @param provider the execution provider to ask for
 * @param optLevel ONNX Runtime's graph optimization level for both sessions
 * @param atol absolute tolerance: an element fails only when it is beyond both tolerances
 * @param rtol relative tolerance, times |expected|
 * @param disablePrepacking create sessions with {@code session.disable_prepacking=1}, the setting
 *     under which the gemm form saves ONNX Runtime memory
 * @param outputs the outputs to compare, by name; empty for all
 * @param allowEmpty accept a verification that compares no element (every output empty, e.g. a dim
 *     of 0)
 * @param loadAsIs let ONNX Runtime load single-file models as they are (holding their weights twice
 *     while it loads, as a user's session of the file does) rather than from a page-aligned copy
 *     whose weights it maps ({@code model.MappableCopy})
 */
public record VerifyOptions(
    long seed,
    Map<String, Long> dims,
    Map<String, ValueRange> ranges,
    Map<String, Path> inputs,
    Path dataSet,
    int runs,
    Provider provider,
    OptLevel optLevel,
    double atol,
    double rtol,
    boolean disablePrepacking,
    List<String> outputs,
    boolean allowEmpty,
    boolean loadAsIs) {

  /** The default seed: fixed, so that a verification is reproducible. */
  public static final long DEFAULT_SEED = 42;

  /** The default absolute and relative tolerance. */
  public static final double DEFAULT_TOLERANCE = 1e-5;

  /**
   * Validates and copies the maps (their iteration order is kept).
   *
   * @throws OnnxTieException (bad input) for runs below 1, negative or NaN tolerances, a negative
   *     dim, or a range whose low end is not below its high end
   */
  public VerifyOptions {
    dims = copy(dims);
    inputs = copy(inputs);
    ranges = copy(ranges);
    ranges.forEach(
        (name, range) -> {
          if (range == null) {
            throw OnnxTieException.badInput("range for input '" + name + "' is missing");
          }
        });
    outputs = outputs == null ? List.of() : List.copyOf(outputs);
    for (Map.Entry<String, Long> dim : dims.entrySet()) {
      if (dim.getValue() == null || dim.getValue() < 0) {
        throw OnnxTieException.badInput(
            "dim '" + dim.getKey() + "' must be a number >= 0, not " + dim.getValue());
      }
    }
    if (runs < 1) {
      throw OnnxTieException.badInput("runs must be at least 1, not " + runs);
    }
    if (!(atol >= 0) || !(rtol >= 0)) {
      throw OnnxTieException.badInput(
          "tolerances must be numbers >= 0, not atol=" + atol + " rtol=" + rtol);
    }
    if (provider == null || optLevel == null) {
      throw new IllegalArgumentException("provider and optLevel must not be null");
    }
  }

  private static <V> Map<String, V> copy(Map<String, V> map) {
    return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /**
   * The defaults: seed {@value #DEFAULT_SEED}, no dims, ranges or files, one run, {@link
   * Provider#AUTO}, {@link OptLevel#ALL}, atol = rtol = {@value #DEFAULT_TOLERANCE}.
   */
  public static VerifyOptions defaults() {
    return new VerifyOptions(
        DEFAULT_SEED,
        Map.of(),
        Map.of(),
        Map.of(),
        null,
        1,
        Provider.AUTO,
        OptLevel.ALL,
        DEFAULT_TOLERANCE,
        DEFAULT_TOLERANCE,
        false,
        List.of(),
        false,
        false);
  }

  /** A copy with another seed. */
  public VerifyOptions withSeed(long newSeed) {
    return edited(c -> c.seed = newSeed);
  }

  /** A copy with these symbolic dimension values (replacing the previous ones). */
  public VerifyOptions withDims(Map<String, Long> newDims) {
    return edited(c -> c.dims = newDims);
  }

  /** A copy with one more symbolic dimension value. */
  public VerifyOptions withDim(String dimParam, long value) {
    Map<String, Long> more = new LinkedHashMap<>(dims);
    more.put(dimParam, value);
    return withDims(more);
  }

  /** A copy with these value ranges (replacing the previous ones). */
  public VerifyOptions withRanges(Map<String, ValueRange> newRanges) {
    return edited(c -> c.ranges = newRanges);
  }

  /** A copy with one more value range, {@code lo} inclusive, {@code hi} exclusive. */
  public VerifyOptions withRange(String input, long lo, long hi) {
    if (lo > hi) {
      throw OnnxTieException.badInput(
          "range for input '"
              + input
              + "' must have lo <= hi, not "
              + lo
              + ":"
              + hi
              + " (lo inclusive, hi exclusive; lo = hi: the fixed value lo)");
    }
    return withRange(input, ValueRange.of(lo, hi));
  }

  /** A copy with one more value range. */
  public VerifyOptions withRange(String input, ValueRange range) {
    Map<String, ValueRange> more = new LinkedHashMap<>(ranges);
    more.put(input, range);
    return withRanges(more);
  }

  /** A copy with these input files (replacing the previous ones). */
  public VerifyOptions withInputs(Map<String, Path> newInputs) {
    return edited(c -> c.inputs = newInputs);
  }

  /** A copy with one more input file ({@code .npy} or {@code .pb}). */
  public VerifyOptions withInput(String input, Path file) {
    Map<String, Path> more = new LinkedHashMap<>(inputs);
    more.put(input, file);
    return withInputs(more);
  }

  /** A copy that reads inputs from a folder in ONNX test layout (null for none). */
  public VerifyOptions withDataSet(Path folder) {
    return edited(c -> c.dataSet = folder);
  }

  /** A copy with another number of runs. */
  public VerifyOptions withRuns(int newRuns) {
    return edited(c -> c.runs = newRuns);
  }

  /** A copy with another execution provider. */
  public VerifyOptions withProvider(Provider newProvider) {
    return edited(c -> c.provider = newProvider);
  }

  /** A copy with another optimization level. */
  public VerifyOptions withOptLevel(OptLevel newOptLevel) {
    return edited(c -> c.optLevel = newOptLevel);
  }

  /** A copy with prepacking on or off. */
  public VerifyOptions withDisablePrepacking(boolean disable) {
    return edited(c -> c.disablePrepacking = disable);
  }

  /** A copy that compares only these outputs (empty: all). */
  public VerifyOptions withOutputs(List<String> newOutputs) {
    return edited(c -> c.outputs = newOutputs);
  }

  /** A copy that accepts (or not) a verification comparing no element. */
  public VerifyOptions withAllowEmpty(boolean allow) {
    return edited(c -> c.allowEmpty = allow);
  }

  /** A copy with other tolerances. */
  public VerifyOptions withTolerance(double newAtol, double newRtol) {
    return edited(
        c -> {
          c.atol = newAtol;
          c.rtol = newRtol;
        });
  }

  /** A copy that loads single-file models as they are (or, by default, from a mapped copy). */
  public VerifyOptions withLoadAsIs(boolean asIs) {
    return edited(c -> c.loadAsIs = asIs);
  }

  /** The fields of a copy being made: each wither sets the ones it changes. */
  private static final class Fields {
    long seed;
    Map<String, Long> dims;
    Map<String, ValueRange> ranges;
    Map<String, Path> inputs;
    Path dataSet;
    int runs;
    Provider provider;
    OptLevel optLevel;
    double atol;
    double rtol;
    boolean disablePrepacking;
    List<String> outputs;
    boolean allowEmpty;
    boolean loadAsIs;
  }

  /** A copy of these options with the changes {@code change} makes, validated again. */
  private VerifyOptions edited(Consumer<Fields> change) {
    Fields c = new Fields();
    c.seed = seed;
    c.dims = dims;
    c.ranges = ranges;
    c.inputs = inputs;
    c.dataSet = dataSet;
    c.runs = runs;
    c.provider = provider;
    c.optLevel = optLevel;
    c.atol = atol;
    c.rtol = rtol;
    c.disablePrepacking = disablePrepacking;
    c.outputs = outputs;
    c.allowEmpty = allowEmpty;
    c.loadAsIs = loadAsIs;
    change.accept(c);
    return new VerifyOptions(
        c.seed,
        c.dims,
        c.ranges,
        c.inputs,
        c.dataSet,
        c.runs,
        c.provider,
        c.optLevel,
        c.atol,
        c.rtol,
        c.disablePrepacking,
        c.outputs,
        c.allowEmpty,
        c.loadAsIs);
  }
}
