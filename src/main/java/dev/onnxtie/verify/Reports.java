package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.Verification.Bin;
import dev.onnxtie.api.Verification.Input;
import dev.onnxtie.api.Verification.InterfaceDifference;
import dev.onnxtie.api.Verification.Output;
import dev.onnxtie.api.Verification.Run;
import dev.onnxtie.api.Verification.Session;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builds the one report tree of a verification, the api's {@link Verification} records, as the
 * comparison goes: this package fills them in, the api hands them out, the CLI renders them. The
 * records are plain data (their few methods read or rename their own fields), so this package
 * depends on the api's records only, never on its operations: the api calls the verifier, the
 * verifier never calls the api.
 */
final class Reports {
  private Reports() {}

  /**
   * How one output compared in one run. The largest differences are kept only where elements were
   * compared (a match or mismatch of at least one element), null otherwise.
   */
  static Output output(
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
    boolean compared = elements > 0 && (status == Status.MATCH || status == Status.MISMATCH);
    return new Output(
        name,
        status.label(),
        status == Status.MATCH,
        dtypeA,
        dtypeB,
        boxed(shapeA),
        boxed(shapeB),
        elements,
        compared ? maxAbsDiff : null,
        compared ? maxRelDiff : null,
        outOfTolerance,
        nanInfMatch,
        bitwiseIdentical,
        detail,
        histogram);
  }

  /** One input fed in a run. */
  static Input input(
      String name,
      String dtype,
      long[] shape,
      String source,
      Double low,
      Double high,
      String file,
      String model) {
    return new Input(name, dtype, boxed(shape), source, low, high, file, model);
  }

  /** The same input fed to {@code model} only. */
  static Input feeding(Input input, String model) {
    return new Input(
        input.name(),
        input.dtype(),
        input.shape(),
        input.source(),
        input.low(),
        input.high(),
        input.file(),
        model);
  }

  /** The inputs of a run as a message names them: {@code [x float[2, 5] random, ...]}. */
  static String describe(List<Input> inputs) {
    return inputs.stream()
        .map(i -> i.name() + " " + i.dtype() + i.shape() + " " + i.source())
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** One input set and its outcome: passed when model B ran and every output matched. */
  static Run run(int index, Long seed, List<Input> inputs, List<Output> outputs, String errorB) {
    boolean passed =
        errorB == null && !outputs.isEmpty() && outputs.stream().allMatch(Output::passed);
    return new Run(index, seed, passed, inputs, outputs, errorB);
  }

  /**
   * The verification, restricted to {@code options.outputs()} when given.
   *
   * @throws OnnxTieException (bad input) when a named output exists on neither side, or when
   *     nothing was compared (zero elements) and {@code options.allowEmpty()} is false
   */
  static Verification verification(
      String a,
      String b,
      String provider,
      VerifyOptions options,
      Map<String, Long> dims,
      List<Session> sessions,
      List<InterfaceDifference> interfaceDifferences,
      List<Run> allRuns,
      List<String> givenNotes) {
    List<String> only = options.outputs().isEmpty() ? null : options.outputs();
    List<InterfaceDifference> differences = interfaceDifferences;
    List<Run> runs = allRuns;
    if (only != null) {
      Set<String> known = new LinkedHashSet<>();
      allRuns.forEach(run -> run.outputs().forEach(o -> known.add(o.name())));
      interfaceDifferences.stream()
          .filter(d -> d.kind().equals("output"))
          .forEach(d -> known.add(d.name()));
      for (String name : only) {
        if (!known.isEmpty() && !known.contains(name)) {
          throw OnnxTieException.badInput(
              "--outputs: no output named '" + name + "'; outputs: " + String.join(", ", known));
        }
      }
      differences =
          interfaceDifferences.stream()
              .filter(d -> !d.kind().equals("output") || only.contains(d.name()))
              .toList();
      runs =
          allRuns.stream()
              .map(
                  run ->
                      run(
                          run.index(),
                          run.seed(),
                          run.inputs(),
                          run.outputs().stream().filter(o -> only.contains(o.name())).toList(),
                          run.errorB()))
              .toList();
    }
    long elements =
        runs.stream().flatMap(run -> run.outputs().stream()).mapToLong(Output::elements).sum();
    boolean passed =
        differences.isEmpty() && !runs.isEmpty() && runs.stream().allMatch(Run::passed);
    if (passed && elements == 0 && !options.allowEmpty()) {
      throw OnnxTieException.badInput(
          "the verification compared no elements (every compared output is empty, e.g. a dim is 0: "
              + dims
              + "); give other --dim values, or --allow-empty to accept it");
    }
    List<String> notes = new ArrayList<>(givenNotes);
    if (elements == 0) {
      notes.add(nothingCompared(runs));
    }
    return new Verification(
        passed,
        a,
        b,
        provider,
        options.optLevel().name().toLowerCase(Locale.ROOT),
        options.atol(),
        options.rtol(),
        dims,
        only,
        elements,
        sessions,
        differences,
        runs,
        notes);
  }

  /** Why a verification compared no element, as a note. */
  private static String nothingCompared(List<Run> runs) {
    Set<String> missing = new LinkedHashSet<>();
    Set<String> failed = new LinkedHashSet<>();
    for (Run run : runs) {
      for (Output o : run.outputs()) {
        if (Status.of(o) == Status.MISSING) {
          missing.add(o.name());
        } else if (Status.of(o) == Status.ERROR) {
          failed.add(o.name());
        }
      }
    }
    if (!missing.isEmpty()) {
      return "no element was compared: "
          + (missing.size() == 1 ? "output " : "outputs ")
          + String.join(", ", missing)
          + (missing.size() == 1 ? " is" : " are")
          + " missing on one side";
    } else if (!failed.isEmpty()) {
      return "no element was compared: model b failed to run";
    }
    return "no element was compared: every compared output is empty";
  }

  private static List<Long> boxed(long[] values) {
    return values == null ? null : Arrays.stream(values).boxed().toList();
  }
}
