package dev.onnxtie.verify;

import com.google.gson.annotations.SerializedName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of a verification: what ran where, on which inputs, and how every output compared.
 * Plain records; the CLI renders the api's view of it ({@code dev.onnxtie.api.Verification}) as a
 * table for people.
 *
 * <p>Side A is the reference: the first model of {@link Verifier#compare}, or the expected outputs
 * of {@link Verifier#againstExpected}. Side B is the model under test. An element is out of
 * tolerance only when it is beyond both {@code atol} and {@code rtol * |A|}.
 *
 * @param a the reference: model A's path, or the data-set folder of the expected outputs
 * @param b the model under test
 * @param provider the execution provider that ran both sessions: {@code CPU} or {@code CUDA}
 * @param optLevel ONNX Runtime's graph optimization level
 * @param atol the absolute tolerance
 * @param rtol the relative tolerance
 * @param dims the value used for every symbolic dim, by {@code dim_param} name
 * @param sessions one entry per ONNX Runtime session, with its memory cost
 * @param interfaceDifferences inputs and outputs the two models declare differently
 * @param runs one entry per input set
 * @param notes anything else worth knowing (fallbacks, skipped values)
 */
public record VerifyReport(
    String a,
    String b,
    String provider,
    OptLevel optLevel,
    double atol,
    double rtol,
    Map<String, Long> dims,
    List<SessionInfo> sessions,
    List<InterfaceDifference> interfaceDifferences,
    List<Run> runs,
    List<String> notes) {

  /**
   * The same report with model B named {@code newB}: a rewrite verifies its staged output and
   * reports it under the path it is then renamed to.
   */
  public VerifyReport withB(String newB) {
    List<SessionInfo> renamed =
        sessions.stream()
            .map(
                s ->
                    s.model().equals(b)
                        ? new SessionInfo(
                            newB,
                            s.provider(),
                            s.rssGrowthBytes(),
                            s.mappedBytes(),
                            s.memoryMethod())
                        : s)
            .toList();
    return new VerifyReport(
        a, newB, provider, optLevel, atol, rtol, dims, renamed, interfaceDifferences, runs, notes);
  }

  /** How one output compared. */
  public enum Status {
    /** Every element within tolerance, NaN and Inf at the same places. */
    @SerializedName("match")
    MATCH,
    /** Same dtype and shape, but some element out of tolerance or a NaN/Inf apart. */
    @SerializedName("mismatch")
    MISMATCH,
    /** One side has no such output. */
    @SerializedName("missing")
    MISSING,
    /** The shapes (or sequence lengths) differ. */
    @SerializedName("shape-mismatch")
    SHAPE_MISMATCH,
    /** The dtypes (or kinds of value) differ. */
    @SerializedName("dtype-mismatch")
    DTYPE_MISMATCH,
    /** A kind of value this package cannot compare, such as a sparse tensor. */
    @SerializedName("unsupported")
    UNSUPPORTED,
    /** Model B failed to run on the inputs. */
    @SerializedName("error")
    ERROR;

    /** The lower-case, hyphenated label used in JSON and text. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * One ONNX Runtime session.
   *
   * @param model the model file
   * @param provider the execution provider
   * @param rssGrowthBytes growth of a process's resident memory (VmRSS in /proc/self/status) while
   *     the session was created, in bytes, measured as {@code memoryMethod} says; negative when the
   *     process released more than the session took; null where /proc is not available
   * @param mappedBytes bytes of weights ONNX Runtime loaded from a page-aligned external-data copy
   *     of a single-file model, mapped instead of copied (see {@code model.MappableCopy}); null
   *     when it loaded the model as it is
   * @param memoryMethod how {@code rssGrowthBytes} was measured: {@code fresh-process} (a session
   *     of the same model, created the same way in a fresh Java process after a warm-up session:
   *     the same file gives the same figure, whatever ran before: the sessions of a comparison), or
   *     {@code in-process} (a model run against expected outputs, or where that process could not
   *     be started; then the figure depends on what this process ran before: memory freed by an
   *     earlier session is reused)
   */
  public record SessionInfo(
      String model, String provider, Long rssGrowthBytes, Long mappedBytes, String memoryMethod) {}

  /**
   * An input or output the two models declare differently.
   *
   * @param kind {@code input} or {@code output}
   * @param name its name
   * @param a model A's declared type, or null when A lacks it
   * @param b model B's declared type, or null when B lacks it
   * @param problem what differs, in words
   */
  public record InterfaceDifference(String kind, String name, String a, String b, String problem) {}

  /**
   * One input fed in a run.
   *
   * @param name the input's name
   * @param dtype its ONNX dtype name
   * @param shape its shape
   * @param source {@code random}, {@code file} or {@code data-set}
   * @param low for random inputs, the lowest value drawn from (inclusive); null otherwise
   * @param high for random inputs, the end of the range (exclusive); null otherwise
   * @param file for inputs read from a file, its path; null otherwise
   * @param model which models got it: {@code both}, {@code a} or {@code b} (when the models declare
   *     it differently, each gets its own)
   */
  public record InputUsed(
      String name,
      String dtype,
      long[] shape,
      String source,
      Double low,
      Double high,
      String file,
      String model) {
    /** The name, dtype, shape and source, e.g. {@code x float[2, 5] random}. */
    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape) + " " + source;
    }
  }

  /**
   * How one output compared in one run.
   *
   * @param name the output's name
   * @param status the verdict
   * @param dtypeA side A's dtype (or kind of value, e.g. {@code sequence(3)}); null when missing
   * @param dtypeB side B's dtype; null when missing
   * @param shapeA side A's shape; null when missing or not a tensor
   * @param shapeB side B's shape; null when missing or not a tensor
   * @param elements elements compared
   * @param maxAbsDiff the largest |A - B| over elements finite on both sides
   * @param maxRelDiff the largest |A - B| / |A| over elements finite on both sides with A != 0
   * @param outOfTolerance elements beyond both tolerances, plus NaN/Inf that do not match
   * @param nanInfMatch true when NaN and Inf (with its sign) sit at the same places on both sides
   * @param bitwiseIdentical true when dtype, shape and every byte are the same
   * @param detail the first offending element, or why the output could not be compared; may be null
   * @param histogram for a floating-point output (tensor, or sequence of them) that is not bitwise
   *     identical, the count of elements per bin of |A - B| (see {@link Bin}), summing to {@code
   *     elements}; empty otherwise
   */
  public record OutputComparison(
      String name,
      Status status,
      String dtypeA,
      String dtypeB,
      long[] shapeA,
      long[] shapeB,
      long elements,
      double maxAbsDiff,
      double maxRelDiff,
      long outOfTolerance,
      boolean nanInfMatch,
      boolean bitwiseIdentical,
      String detail,
      List<Bin> histogram) {

    /** True when the output matched. */
    public boolean passed() {
      return status == Status.MATCH;
    }

    /** Every field on one line, for logs and assertion messages. */
    @Override
    public String toString() {
      return name
          + " "
          + status.label()
          + " "
          + dtypeA
          + Arrays.toString(shapeA)
          + " vs "
          + dtypeB
          + Arrays.toString(shapeB)
          + " maxAbs="
          + maxAbsDiff
          + " maxRel="
          + maxRelDiff
          + " bad="
          + outOfTolerance
          + "/"
          + elements
          + " nanInf="
          + nanInfMatch
          + " bitwise="
          + bitwiseIdentical
          + (detail == null ? "" : " (" + detail + ")");
    }
  }

  /**
   * One bin of a histogram of |A - B|: the elements with {@code lower <= |A - B| < upper}, except
   * the first bin (exactly 0: {@code lower = upper = 0}) and the second ({@code 0 < |A - B| <
   * upper}); an element NaN on both sides, or the same Inf on both, counts as 0.
   *
   * @param label the bin as people read it: {@code 0}, {@code <1e-12}, the decade's lower edge such
   *     as {@code 1e-7}, {@code >=1e3}, or {@code NaN/Inf} (NaN or Inf on one side only, or Infs of
   *     opposite sign)
   * @param lower the lower bound; null for the NaN/Inf bin
   * @param upper the upper bound (exclusive); null for the last bin of numbers (no bound) and the
   *     NaN/Inf bin
   * @param count the elements in the bin
   */
  public record Bin(String label, Double lower, Double upper, long count) {}

  /**
   * One input set and its outcome.
   *
   * @param index the run's number, from 0
   * @param seed the seed of its random inputs (null when it had none)
   * @param inputs the inputs fed
   * @param outputs one comparison per output of either side
   * @param errorB model B's run-time failure on these inputs, one line; null when it ran
   */
  public record Run(
      int index, Long seed, List<InputUsed> inputs, List<OutputComparison> outputs, String errorB) {
    /** True when model B ran and every output matched. */
    public boolean passed() {
      return errorB == null
          && !outputs.isEmpty()
          && outputs.stream().allMatch(OutputComparison::passed);
    }
  }

  /** True when the interfaces agree and every output of every run matched. */
  public boolean passed() {
    return interfaceDifferences.isEmpty() && !runs.isEmpty() && runs.stream().allMatch(Run::passed);
  }

  /** The comparisons of one output in every run, in run order. */
  public List<OutputComparison> output(String name) {
    List<OutputComparison> found = new ArrayList<>();
    for (Run run : runs) {
      for (OutputComparison output : run.outputs()) {
        if (output.name().equals(name)) {
          found.add(output);
        }
      }
    }
    return found;
  }

  /** The names of the outputs that did not match in some run, in first-seen order. */
  public List<String> failedOutputs() {
    List<String> failed = new ArrayList<>();
    for (Run run : runs) {
      for (OutputComparison output : run.outputs()) {
        if (!output.passed() && !failed.contains(output.name())) {
          failed.add(output.name());
        }
      }
    }
    return failed;
  }
}
