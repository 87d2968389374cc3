package dev.onnxtie.api;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The outcome of a verification as the API reports it: what ran where, on which inputs, and how
 * every compared output did. Side A is the reference (model A, or the expected outputs of a data
 * set), side B the model under test.
 *
 * <p>The one report tree of a verification: the verifier ({@code dev.onnxtie.verify}) builds these
 * records as it compares, the api hands them out as they are, and the CLI renders them (its {@code
 * Json}, its text view). They are plain data: their methods read or rename their own fields and
 * call nothing, so the verifier depending on them adds no call from the verifier into the api.
 *
 * @param passed true when the interfaces agree on the compared outputs and every one of them
 *     matched in every run
 * @param a the reference: model A's path, or the data-set folder of the expected outputs
 * @param b the model under test
 * @param provider the execution provider that ran both sessions: {@code CPU} or {@code CUDA}
 * @param optLevel ONNX Runtime's graph optimization level, lower case
 * @param atol the absolute tolerance (may be infinite)
 * @param rtol the relative tolerance (may be infinite)
 * @param dims the value used for every symbolic dim, by {@code dim_param} name
 * @param outputs the outputs compared when restricted ({@code --outputs}), else null (all)
 * @param elementsCompared elements compared over every output and run
 * @param sessions one entry per ONNX Runtime session, with its memory cost
 * @param interfaceDifferences inputs and (compared) outputs the two models declare differently
 * @param runs one entry per input set
 * @param notes anything else worth knowing
 */
public record Verification(
    boolean passed,
    String a,
    String b,
    String provider,
    String optLevel,
    double atol,
    double rtol,
    Map<String, Long> dims,
    List<String> outputs,
    long elementsCompared,
    List<Session> sessions,
    List<InterfaceDifference> interfaceDifferences,
    List<Run> runs,
    List<String> notes) {

  /**
   * One ONNX Runtime session; {@code rssGrowthBytes} is null where /proc is not available, {@code
   * mappedBytes} (weights ONNX Runtime mapped from a page-aligned copy of a single-file model) null
   * where it loaded the model as it is; {@code memoryMethod} says how {@code rssGrowthBytes} was
   * measured: {@code fresh-process} (the sessions of a comparison: the same file gives the same
   * figure) or {@code in-process} (a model against expected outputs, or where no child process
   * could be started; depends on what ran before).
   */
  public record Session(
      String model, String provider, Long rssGrowthBytes, Long mappedBytes, String memoryMethod) {}

  /**
   * An input or output ({@code kind}) the models declare differently; a side is null when it lacks
   * it.
   */
  public record InterfaceDifference(String kind, String name, String a, String b, String problem) {}

  /**
   * One input fed in a run: {@code source} is {@code random}, {@code file} or {@code data-set};
   * {@code low}/{@code high} bound random values ([low, high), or the fixed value when equal);
   * {@code model} is {@code both}, {@code a} or {@code b}.
   */
  public record Input(
      String name,
      String dtype,
      List<Long> shape,
      String source,
      Double low,
      Double high,
      String file,
      String model) {}

  /**
   * How one output compared in one run: {@code maxAbsDiff}/{@code maxRelDiff} are null when no
   * element was compared; {@code status} is match, mismatch, missing, shape-mismatch,
   * dtype-mismatch, unsupported or error; {@code histogram}, for a floating-point output that is
   * not bitwise identical, counts its elements by |A - B| in fixed log-scale bins (summing to
   * {@code elements}), and is empty otherwise.
   */
  public record Output(
      String name,
      String status,
      boolean passed,
      String dtypeA,
      String dtypeB,
      List<Long> shapeA,
      List<Long> shapeB,
      long elements,
      Double maxAbsDiff,
      Double maxRelDiff,
      long outOfTolerance,
      boolean nanInfMatch,
      boolean bitwiseIdentical,
      String detail,
      List<Bin> histogram) {}

  /**
   * One bin of a histogram of |A - B|: {@code lower <= |A - B| < upper}, except the first bin
   * (label {@code 0}: exactly 0, with NaN on both sides and the same Inf on both) and the second
   * ({@code <1e-12}: above 0); {@code upper} is null for the last bin of numbers ({@code >=1e3}),
   * both bounds for the last bin ({@code NaN/Inf}: NaN or Inf on one side only, or Infs of opposite
   * sign). The bins are fixed: 0, below 1e-12, each decade from 1e-12 to 1e3, at least 1e3,
   * NaN/Inf.
   */
  public record Bin(String label, Double lower, Double upper, long count) {}

  /**
   * One input set and its outcome; {@code errorB} is model B's failure on these inputs, or null.
   */
  public record Run(
      int index,
      Long seed,
      boolean passed,
      List<Input> inputs,
      List<Output> outputs,
      String errorB) {}

  /** The names of the outputs that did not match in some run, in first-seen order. */
  public List<String> failedOutputs() {
    Set<String> failed = new LinkedHashSet<>();
    for (Run run : runs) {
      run.outputs().stream().filter(o -> !o.passed()).forEach(o -> failed.add(o.name()));
    }
    return List.copyOf(failed);
  }

  /**
   * The same verification with model B (and its session) named {@code path}: a staged file renamed
   * into place.
   */
  public Verification withB(String path) {
    return renamed(a, path, model -> model.equals(b) ? path : model);
  }

  /**
   * The same verification with its two sides (and their sessions) named {@code newA} and {@code
   * newB}: an in-place rewrite names them "m.onnx (original)" and "m.onnx (rewritten)" rather than
   * the same path twice. Needs the two sides' names to differ, as a staged file's does.
   */
  public Verification withSides(String newA, String newB) {
    return renamed(newA, newB, model -> model.equals(a) ? newA : model.equals(b) ? newB : model);
  }

  /**
   * The same verification with sides {@code newA}, {@code newB} and each session's model renamed.
   */
  private Verification renamed(String newA, String newB, UnaryOperator<String> rename) {
    List<Session> renamed =
        sessions.stream()
            .map(
                session ->
                    new Session(
                        rename.apply(session.model()),
                        session.provider(),
                        session.rssGrowthBytes(),
                        session.mappedBytes(),
                        session.memoryMethod()))
            .toList();
    return new Verification(
        passed,
        newA,
        newB,
        provider,
        optLevel,
        atol,
        rtol,
        dims,
        outputs,
        elementsCompared,
        renamed,
        interfaceDifferences,
        runs,
        notes);
  }
}
