package dev.onnxtie.verify;

import ai.onnxruntime.OrtException;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import dev.onnxtie.verify.VerifyReport.InputUsed;
import dev.onnxtie.verify.VerifyReport.InterfaceDifference;
import dev.onnxtie.verify.VerifyReport.OutputComparison;
import dev.onnxtie.verify.VerifyReport.SessionInfo;
import dev.onnxtie.verify.VerifyReport.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs ONNX models in ONNX Runtime and compares their outputs.
 *
 * <p>{@link #compare} runs two models on the same inputs ({@link VerifyOptions#runs()} input sets)
 * and compares every output; {@link #againstExpected} runs one model on an ONNX test-layout data
 * set and compares its outputs with the {@code output_*.pb} files there. Both return a {@link
 * VerifyReport}; differences, including models whose inputs or outputs disagree, are reported,
 * never thrown. Failures of the setup are {@link OnnxTieException}s with exit code {@link
 * OnnxTieException#BAD_INPUT} and a one-line message: an unreadable model, one ONNX Runtime refuses
 * to load, a reference model that fails on the inputs, an unavailable CUDA provider, an input file
 * of the wrong dtype.
 *
 * <p>A verifier holds its {@code OrtSessions} (ONNX Runtime's environment, the provider); each call
 * opens its sessions and closes them before it returns, and every tensor and result is closed as
 * soon as its values are copied out. {@link #compare} holds one model in memory at a time: model A
 * runs on every input set and its session is closed (its outputs kept) before model B's session is
 * created, on CPU and on CUDA alike, so a model that fits once fits for verification. Not
 * thread-safe.
 */
public final class Verifier implements AutoCloseable {
  private static final Pattern DATA_FILE = Pattern.compile("(input|output)_(\\d+)\\.pb");

  private final VerifyOptions options;
  private final OrtSessions sessions;
  private boolean closed;
  private Consumer<String> progress = step -> {};

  /**
   * A verifier with these options. The execution provider is chosen here.
   *
   * @throws OnnxTieException (bad input) when CUDA is requested and this ONNX Runtime build or this
   *     machine cannot provide it
   */
  public Verifier(VerifyOptions options) {
    this.options = options;
    this.sessions = new OrtSessions(options);
  }

  /**
   * Tells {@code listener} each step as it begins: progress for a terminal. One session at a time:
   * "session A (model.onnx)", "run 1 of 3 (A)", ..., then "session B (tied.onnx)", "run 1 of 3
   * (B)", ...
   */
  public Verifier withProgress(Consumer<String> listener) {
    this.progress = listener;
    sessions.progress(listener);
    return this;
  }

  /** A verifier with {@link VerifyOptions#defaults()}. */
  public Verifier() {
    this(VerifyOptions.defaults());
  }

  /** The options this verifier runs with. */
  public VerifyOptions options() {
    return options;
  }

  /** The provider the next sessions will use: {@code CUDA} or {@code CPU}. */
  public String provider() {
    return sessions.provider();
  }

  /**
   * Runs models {@code a} (the reference) and {@code b} on the same inputs and compares every
   * output. Inputs come from model A's graph: files in {@link VerifyOptions#inputs()} and the
   * {@link VerifyOptions#dataSet()} folder where given, synthesized otherwise (see {@link
   * InputSynthesizer}). An input that B declares differently gets its own value, and the difference
   * is reported.
   *
   * @throws OnnxTieException (bad input) when a model cannot be read or loaded, an option names no
   *     input or dim of the models, or model A fails to run on the inputs
   */
  public VerifyReport compare(Path a, Path b) {
    checkOpen();
    try (OnnxModel modelA = ModelIO.read(a)) {
      return compare(modelA, b);
    }
  }

  /**
   * {@link #compare(Path, Path)} with model A read already (a rewrite's input, read once): its
   * sessions load its file, {@link OnnxModel#source()}, which must be a file.
   */
  public VerifyReport compare(OnnxModel modelA, Path b) {
    checkOpen();
    if (modelA.source() == null) {
      throw new IllegalArgumentException("model A must be read from a file");
    }
    try (OnnxModel modelB = ModelIO.read(b)) {
      List<InputSpec> inputsA = InputSynthesizer.inputsOf(modelA);
      List<InputSpec> inputsB = InputSynthesizer.inputsOf(modelB);
      checkOptionNames(inputsA, inputsB);
      List<InterfaceDifference> differences = new ArrayList<>();
      differences.addAll(interfaceDifferences("input", typesOf(inputsA), typesOf(inputsB)));
      differences.addAll(interfaceDifferences("output", outputTypes(modelA), outputTypes(modelB)));
      List<String> notes = new ArrayList<>(sessions.providerNotes());

      Map<String, ValueRange> ranges = new LinkedHashMap<>();
      InputSynthesizer.inferRanges(modelB)
          .forEach((name, range) -> ranges.put(name, ValueRange.of(range[0], range[1])));
      InputSynthesizer.inferRanges(modelA)
          .forEach((name, range) -> ranges.put(name, ValueRange.of(range[0], range[1])));
      ranges.putAll(options.ranges());
      Map<String, Long> fileDims = new LinkedHashMap<>();
      Map<String, Given> given = givenInputs(inputsA, inputsB, fileDims);

      List<String> outputNames = new ArrayList<>(outputTypes(modelA).keySet());
      for (String name : outputTypes(modelB).keySet()) {
        if (!outputNames.contains(name)) {
          outputNames.add(name);
        }
      }
      Map<String, Long> dimsUsed = new TreeMap<>();
      List<VerifyReport.Run> runs = new ArrayList<>();
      List<SessionInfo> sessionInfos = new ArrayList<>();
      List<RunFeeds> allFeeds = new ArrayList<>();
      for (int run = 0; run < options.runs(); run++) {
        Map<String, Long> bound = new LinkedHashMap<>(fileDims);
        allFeeds.add(feeds(options.seed() + run, inputsA, inputsB, given, ranges, bound));
        dimsUsed.putAll(bound);
      }
      // one session at a time: A runs on every input set and is closed before B is created
      SessionInfo[] infoA = new SessionInfo[1];
      Set<String> defaulted = new java.util.TreeSet<>(dimsUsed.keySet());
      defaulted.removeAll(options.dims().keySet());
      defaulted.removeAll(fileDims.keySet());
      Retry retry =
          defaulted.isEmpty()
              ? null
              : new Retry(defaulted, dimsUsed, inputsA, inputsB, given, ranges, fileDims);
      List<Map<String, Value>> outputsA = runReference(modelA, allFeeds, infoA, notes, retry);
      boolean cudaForA = sessions.usingCuda();
      List<SessionInfo> infoB = new ArrayList<>();
      List<Object> outputsB = new ArrayList<>();
      try (OrtSessions.Sessions open = sessions.openSessions(List.of(modelB), 'B', infoB, notes)) {
        for (int run = 0; run < allFeeds.size(); run++) {
          RunFeeds feeds = allFeeds.get(run);
          progress.accept(runStep(run, allFeeds.size(), 'B'));
          try {
            outputsB.add(sessions.run(open.get(0), feeds.b()));
          } catch (OrtException e) {
            outputsB.add(DataFiles.oneLine(e.getMessage()));
          }
        }
      }
      if (cudaForA && !sessions.usingCuda()) {
        // B fell back to CPU: run A again there, so that both ran on one provider
        outputsA = runReference(modelA, allFeeds, infoA, notes, retry);
      }
      sessionInfos.add(infoA[0]);
      sessionInfos.addAll(infoB);
      for (int run = 0; run < allFeeds.size(); run++) {
        RunFeeds feeds = allFeeds.get(run);
        Object resultB = outputsB.get(run);
        @SuppressWarnings("unchecked")
        Map<String, Value> valuesB =
            resultB instanceof Map<?, ?> map ? (Map<String, Value>) map : null;
        String errorB = resultB instanceof String error ? error : null;
        runs.add(
            new VerifyReport.Run(
                run,
                feeds.anyRandom() ? options.seed() + run : null,
                feeds.used(),
                compareOutputs(outputNames, outputsA.get(run), valuesB, errorB),
                errorB));
      }
      return new VerifyReport(
          modelA.source().toString(),
          b.toString(),
          provider(),
          options.optLevel(),
          options.atol(),
          options.rtol(),
          dimsUsed,
          sessionInfos,
          differences,
          runs,
          notes);
    }
  }

  /**
   * Runs the reference model on every input set in one session, closed before this returns, and
   * keeps its outputs.
   *
   * @throws OnnxTieException (bad input) when it fails on an input set
   */
  private List<Map<String, Value>> runReference(
      OnnxModel modelA,
      List<RunFeeds> allFeeds,
      SessionInfo[] info,
      List<String> notes,
      Retry retry) {
    Path a = modelA.source();
    List<SessionInfo> infos = new ArrayList<>();
    List<Map<String, Value>> outputs = new ArrayList<>();
    try (OrtSessions.Sessions open = sessions.openSessions(List.of(modelA), 'A', infos, notes)) {
      for (int run = 0; run < allFeeds.size(); run++) {
        RunFeeds feeds = allFeeds.get(run);
        progress.accept(runStep(run, allFeeds.size(), 'A'));
        try {
          outputs.add(sessions.run(open.get(0), feeds.a()));
        } catch (OrtException e) {
          String why = DataFiles.oneLine(e.getMessage());
          if (retry != null) {
            throw OnnxTieException.badInput(
                retry.message(a, why, dims -> runs(open.get(0), dims, retry)), e);
          }
          throw OnnxTieException.badInput(
              "model "
                  + a
                  + " failed to run on the inputs "
                  + feeds.used()
                  + ": "
                  + why
                  + "; set dims or ranges, or give real inputs",
              e);
        }
      }
    }
    info[0] = infos.get(0);
    return outputs;
  }

  /**
   * The dims of a failed reference run that took default values, and what else is needed to retry
   * it.
   */
  private record Retry(
      Set<String> defaulted,
      Map<String, Long> used,
      List<InputSpec> inputsA,
      List<InputSpec> inputsB,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> fileDims) {

    /** Values tried, in order, for every defaulted dim at once, after the defaults failed. */
    static final long[] CANDIDATES = {1, 16, 32, 64, 4, 2, 128};

    /** The longest error line. */
    static final int MAX_LENGTH = 200;

    /**
     * One line of at most {@link #MAX_LENGTH} characters: the defaulted dims, ONNX Runtime's reason
     * (shortened to fit), and the {@code --dim} options with which the model ran, or the options to
     * set when no candidate value ran.
     */
    String message(Path model, String why, java.util.function.Predicate<Map<String, Long>> runs) {
      String ran = null;
      for (long candidate : CANDIDATES) {
        Map<String, Long> dims = new LinkedHashMap<>();
        for (String dim : defaulted) {
          dims.put(dim, candidate);
        }
        if (runs.test(dims)) {
          ran = flags(dims);
          break;
        }
      }
      List<String> defaults = new ArrayList<>();
      for (String dim : defaulted) {
        defaults.add(dim + "=" + used.get(dim));
      }
      String head =
          "model " + model.getFileName() + " fails with default dims " + String.join(" ", defaults);
      String tail =
          ran != null
              ? "; it runs with " + ran
              : "; set them: "
                  + flags(
                          defaulted.stream()
                              .collect(
                                  java.util.stream.Collectors.toMap(
                                      d -> d, d -> -1L, (x, y) -> x, LinkedHashMap::new)))
                      .replace("=-1", "=N")
                  + ", or give real inputs";
      int room = MAX_LENGTH - head.length() - tail.length() - 3;
      String reason =
          room < 8
              ? ""
              : " (" + (why.length() <= room ? why : why.substring(0, room - 3) + "...") + ")";
      String line = head + reason + tail;
      return line.length() <= MAX_LENGTH
          ? line
          : head.substring(0, Math.max(0, Math.min(head.length(), MAX_LENGTH - tail.length())))
              + tail;
    }

    private static String flags(Map<String, Long> dims) {
      List<String> flags = new ArrayList<>();
      dims.forEach((dim, value) -> flags.add("--dim " + dim + "=" + value));
      return String.join(" ", flags);
    }
  }

  /** Whether the reference session runs on inputs made with these values for the defaulted dims. */
  private boolean runs(ai.onnxruntime.OrtSession session, Map<String, Long> dims, Retry retry) {
    Map<String, Long> all = new LinkedHashMap<>(options.dims());
    all.putAll(dims);
    try {
      RunFeeds feeds =
          feeds(
              options.seed(),
              retry.inputsA(),
              retry.inputsB(),
              retry.given(),
              retry.ranges(),
              new LinkedHashMap<>(retry.fileDims()),
              all);
      sessions.run(session, feeds.a());
      return true;
    } catch (OrtException | OnnxTieException e) {
      return false;
    }
  }

  /**
   * The symbolic dims of a model's fed inputs (those no initializer backs).
   *
   * @throws OnnxTieException (bad input) when the model cannot be read
   */
  public static Set<String> symbolicDims(Path model) {
    try (OnnxModel onnx = ModelIO.read(model)) {
      Set<String> symbols = new java.util.TreeSet<>();
      for (InputSpec input : InputSynthesizer.inputsOf(onnx)) {
        if (input.dims() != null) {
          input.dims().stream()
              .filter(String.class::isInstance)
              .forEach(dim -> symbols.add((String) dim));
        }
      }
      return symbols;
    }
  }

  /**
   * For a folder: {@code options} for each of {@code models}, each with only the {@code --dim}
   * values its inputs declare, so that a dim applies to the models that have it.
   *
   * @throws OnnxTieException (bad input) for a dim no model declares
   */
  public static List<VerifyOptions> perModel(VerifyOptions options, List<Path> models) {
    List<VerifyOptions> each = new ArrayList<>();
    Set<String> all = new java.util.TreeSet<>();
    for (Path model : models) {
      if (options.dims().isEmpty()) {
        each.add(options);
        continue;
      }
      Set<String> symbols = symbolicDims(model);
      all.addAll(symbols);
      Map<String, Long> dims = new LinkedHashMap<>(options.dims());
      dims.keySet().retainAll(symbols);
      each.add(options.withDims(dims));
    }
    for (String dim : options.dims().keySet()) {
      if (!all.contains(dim)) {
        throw OnnxTieException.badInput(
            "dim '"
                + dim
                + "' is no symbolic dim of the inputs of any of the "
                + models.size()
                + " models; valid: "
                + (all.isEmpty() ? "(none: every input dim is fixed)" : String.join(", ", all)));
      }
    }
    return each;
  }

  /**
   * Runs {@code model} on the inputs of an ONNX test-layout folder ({@code input_0.pb}, ...) and
   * compares its outputs with the {@code output_0.pb}, ... there. Data files are matched to graph
   * inputs and outputs by their tensor name, or by position when the name is empty or unknown.
   * Files in {@link VerifyOptions#inputs()} replace data-set inputs of the same name; inputs that
   * neither provides are not fed (ONNX Runtime then reports them missing unless they are optional).
   * One run.
   *
   * @throws OnnxTieException (bad input) when the model cannot be read or loaded, or the folder
   *     holds no usable data
   */
  public VerifyReport againstExpected(Path model, Path dataSetDir) {
    checkOpen();
    try (OnnxModel onnx = ModelIO.read(model)) {
      List<InputSpec> inputs = InputSynthesizer.inputsOf(onnx);
      checkOptionNames(inputs, List.of());
      if (!Files.isDirectory(dataSetDir)) {
        throw OnnxTieException.badInput("data set " + dataSetDir + " is not a folder");
      }
      Map<String, TypeProto> outputs = outputTypes(onnx);
      List<String> notes = new ArrayList<>(sessions.providerNotes());
      if (options.runs() > 1) {
        notes.add("runs = " + options.runs() + " ignored: a data set is one input set");
      }
      List<SessionInfo> sessionInfos = new ArrayList<>();
      try (OrtSessions.Sessions open = sessions.openSessions(List.of(onnx), sessionInfos, notes)) {
        Map<String, Value> feedValues = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Map.Entry<String, DataItem> item :
            readDataSet(dataSetDir, "input", typesOf(inputs), true).entrySet()) {
          feedValues.put(item.getKey(), item.getValue().value());
          sources.put(item.getKey(), item.getValue().file().toString());
        }
        for (Map.Entry<String, Path> file : options.inputs().entrySet()) {
          feedValues.put(file.getKey(), DataFiles.readTensor(file.getValue()));
          sources.put(file.getKey(), file.getValue().toString());
        }
        List<InputUsed> used = new ArrayList<>();
        Map<String, HostTensor> feed = new LinkedHashMap<>();
        for (Map.Entry<String, Value> entry : feedValues.entrySet()) {
          Value value = entry.getValue();
          if (value instanceof HostTensor tensor) {
            feed.put(entry.getKey(), tensor);
            used.add(
                new InputUsed(
                    entry.getKey(),
                    tensor.type().onnxName(),
                    tensor.shape(),
                    options.inputs().containsKey(entry.getKey()) ? "file" : "data-set",
                    null,
                    null,
                    sources.get(entry.getKey()),
                    "both"));
          } else if (value instanceof Value.None) {
            notes.add("input '" + entry.getKey() + "' is an empty optional and is not fed");
          } else {
            throw OnnxTieException.badInput(
                "input '"
                    + entry.getKey()
                    + "' is a "
                    + value.describe()
                    + "; ONNX Runtime's Java API can only be fed tensors");
          }
        }
        Map<String, Value> expected = new LinkedHashMap<>();
        for (Map.Entry<String, DataItem> item :
            readDataSet(dataSetDir, "output", outputs, false).entrySet()) {
          expected.put(item.getKey(), item.getValue().value());
        }
        if (expected.isEmpty()) {
          throw OnnxTieException.badInput(
              dataSetDir + " holds no output_N.pb files (ONNX test layout) to compare with");
        }
        Map<String, Value> actual = null;
        String error = null;
        try {
          actual = sessions.run(open.get(0), feed);
        } catch (OrtException e) {
          error = DataFiles.oneLine(e.getMessage());
        }
        List<String> names = new ArrayList<>(outputs.keySet());
        for (String name : expected.keySet()) {
          if (!names.contains(name)) {
            names.add(name);
          }
        }
        List<VerifyReport.Run> runs =
            List.of(
                new VerifyReport.Run(
                    0, null, used, compareOutputs(names, expected, actual, error), error));
        return new VerifyReport(
            dataSetDir.toString(),
            model.toString(),
            provider(),
            options.optLevel(),
            options.atol(),
            options.rtol(),
            Map.of(),
            sessionInfos,
            List.of(),
            runs,
            notes);
      }
    }
  }

  /**
   * Nothing to release beyond the sessions each call closes; ONNX Runtime's environment is shared.
   */
  @Override
  public void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this Verifier is closed");
    }
  }

  // ---------------------------------------------------------------- inputs

  /** Real data for an input, read once and used in every run. */
  private record Given(HostTensor tensor, String source, String file) {}

  /** The value for one input in one run, and how it was made. */
  private record Feed(
      String name, HostTensor tensor, boolean random, String source, String file, double[] range) {
    InputUsed used(String model) {
      return new InputUsed(
          name,
          tensor.type().onnxName(),
          tensor.shape(),
          source,
          range == null ? null : range[0],
          range == null ? null : range[1],
          file,
          model);
    }
  }

  /**
   * The inputs of one run: model A's, model B's (sharing A's where B declares them alike), as
   * reported.
   */
  private record RunFeeds(
      Map<String, HostTensor> a,
      Map<String, HostTensor> b,
      List<InputUsed> used,
      boolean anyRandom) {}

  private RunFeeds feeds(
      long seed,
      List<InputSpec> inputsA,
      List<InputSpec> inputsB,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound) {
    return feeds(seed, inputsA, inputsB, given, ranges, bound, options.dims());
  }

  private RunFeeds feeds(
      long seed,
      List<InputSpec> inputsA,
      List<InputSpec> inputsB,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound,
      Map<String, Long> dims) {
    List<InputUsed> used = new ArrayList<>();
    boolean anyRandom = false;
    Random random = new Random(seed);
    Map<String, HostTensor> feedA = new LinkedHashMap<>();
    for (InputSpec input : inputsA) {
      Feed feed = feedFor(input, given, ranges, bound, random, dims);
      anyRandom |= feed.random();
      feedA.put(input.name(), feed.tensor());
      used.add(feed.used("both"));
    }
    // B's own inputs are drawn from a second stream, so that A's values do not depend on B.
    Random randomB = new Random(seed ^ 0x5DEECE66DL);
    Map<String, HostTensor> feedB = new LinkedHashMap<>();
    for (InputSpec input : inputsB) {
      HostTensor shared = feedA.get(input.name());
      if (shared != null && fits(shared, input)) {
        feedB.put(input.name(), shared);
        continue;
      }
      Feed feed = feedFor(input, given, ranges, bound, randomB, dims);
      anyRandom |= feed.random();
      feedB.put(input.name(), feed.tensor());
      used.add(feed.used("b"));
      if (shared != null) {
        relabel(used, input.name(), "a");
      }
    }
    for (InputSpec input : inputsA) {
      if (!typesOf(inputsB).containsKey(input.name())) {
        relabel(used, input.name(), "a");
      }
    }
    return new RunFeeds(feedA, feedB, used, anyRandom);
  }

  /**
   * Inputs whose name says what valid values are (unless {@code --range} names them): {@code
   * attention_mask} all 1s, {@code token_type_ids} in [0, 2), {@code position_ids} 0, 1, ...,
   * length - 1 along the last axis of every row.
   */
  enum WellKnown {
    ATTENTION_MASK,
    TOKEN_TYPE_IDS,
    POSITION_IDS;

    static WellKnown of(String name) {
      return switch (name) {
        case "attention_mask" -> ATTENTION_MASK;
        case "token_type_ids" -> TOKEN_TYPE_IDS;
        case "position_ids" -> POSITION_IDS;
        default -> null;
      };
    }
  }

  private Feed feedFor(
      InputSpec input,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound,
      Random random) {
    return feedFor(input, given, ranges, bound, random, options.dims());
  }

  private Feed feedFor(
      InputSpec input,
      Map<String, Given> given,
      Map<String, ValueRange> ranges,
      Map<String, Long> bound,
      Random random,
      Map<String, Long> dims) {
    Given real = given.get(input.name());
    if (real != null) {
      return new Feed(input.name(), real.tensor(), false, real.source(), real.file(), null);
    }
    DataType type = input.dataType();
    if (type == null) {
      throw OnnxTieException.badInput(
          "input '"
              + input.name()
              + "' is a "
              + input.describe()
              + "; onnx-tie synthesizes tensors only, and ONNX Runtime's Java API can only be fed tensors");
    }
    long[] shape = InputSynthesizer.shapeOf(input, dims, bound);
    long[] fallback = InputSynthesizer.defaultRange(type);
    ValueRange range = ranges.getOrDefault(input.name(), ValueRange.of(fallback[0], fallback[1]));
    WellKnown known =
        options.ranges().containsKey(input.name()) ? null : WellKnown.of(input.name());
    if (known == WellKnown.POSITION_IDS
        && (type == DataType.INT64 || type == DataType.INT32)
        && shape.length > 0) {
      long length = shape[shape.length - 1];
      return new Feed(
          input.name(),
          InputSynthesizer.positions(type, shape),
          false,
          "positions",
          null,
          new double[] {0, length});
    }
    if (known == WellKnown.ATTENTION_MASK) {
      range = ValueRange.of(1, 1);
    } else if (known == WellKnown.TOKEN_TYPE_IDS && !InputSynthesizer.isFloating(type)) {
      range = ValueRange.of(0, 2);
    }
    if (InputSynthesizer.isFloating(type) || type == DataType.STRING) {
      HostTensor tensor = InputSynthesizer.synthesize(input.name(), type, shape, range, random);
      return new Feed(
          input.name(),
          tensor,
          true,
          "random",
          null,
          type == DataType.STRING ? null : new double[] {range.low(), range.high()});
    }
    long[] clipped = InputSynthesizer.clip(input.name(), type, range.longs(input.name(), type));
    HostTensor tensor = InputSynthesizer.synthesize(input.name(), type, shape, clipped, random);
    return new Feed(
        input.name(), tensor, true, "random", null, new double[] {clipped[0], clipped[1]});
  }

  private static boolean fits(HostTensor tensor, InputSpec input) {
    if (tensor.type() != input.dataType()) {
      return false;
    }
    List<Object> dims = input.dims();
    if (dims == null) {
      return true;
    }
    long[] shape = tensor.shape();
    if (dims.size() != shape.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (dims.get(i) instanceof Long value && value != shape[i]) {
        return false;
      }
    }
    return true;
  }

  private static void relabel(List<InputUsed> used, String name, String model) {
    for (int i = 0; i < used.size(); i++) {
      InputUsed input = used.get(i);
      if (input.name().equals(name) && input.model().equals("both")) {
        used.set(
            i,
            new InputUsed(
                input.name(),
                input.dtype(),
                input.shape(),
                input.source(),
                input.low(),
                input.high(),
                input.file(),
                model));
      }
    }
  }

  /**
   * Reads the data-set and file inputs once, checks them against the declarations, binds their
   * dims.
   */
  private Map<String, Given> givenInputs(
      List<InputSpec> inputsA, List<InputSpec> inputsB, Map<String, Long> fileDims) {
    Map<String, InputSpec> specs = new LinkedHashMap<>();
    for (InputSpec input : inputsB) {
      specs.put(input.name(), input);
    }
    for (InputSpec input : inputsA) {
      specs.put(input.name(), input);
    }
    Map<String, Given> given = new LinkedHashMap<>();
    if (options.dataSet() != null) {
      for (Map.Entry<String, DataItem> item :
          readDataSet(options.dataSet(), "input", typesOf(inputsA), true).entrySet()) {
        if (!(item.getValue().value() instanceof HostTensor tensor)) {
          throw OnnxTieException.badInput(
              "input '"
                  + item.getKey()
                  + "' in "
                  + item.getValue().file()
                  + " is a "
                  + item.getValue().value().describe()
                  + "; ONNX Runtime's Java API can only be fed tensors");
        }
        given.put(item.getKey(), new Given(tensor, "data-set", item.getValue().file().toString()));
      }
    }
    for (Map.Entry<String, Path> file : options.inputs().entrySet()) {
      given.put(
          file.getKey(),
          new Given(DataFiles.readTensor(file.getValue()), "file", file.getValue().toString()));
    }
    for (Map.Entry<String, Given> entry : given.entrySet()) {
      InputSpec spec = specs.get(entry.getKey());
      HostTensor tensor = entry.getValue().tensor();
      String where = "input '" + entry.getKey() + "' from " + entry.getValue().file();
      if (spec.dataType() != null && spec.dataType() != tensor.type()) {
        throw OnnxTieException.badInput(
            where + " is " + tensor.describe() + " but the model declares " + spec.describe());
      }
      List<Object> dims = spec.dims();
      long[] shape = tensor.shape();
      if (dims == null) {
        continue;
      }
      if (dims.size() != shape.length) {
        throw OnnxTieException.badInput(
            where
                + " has rank "
                + shape.length
                + " ("
                + tensor.describe()
                + ") but the model declares "
                + spec.describe());
      }
      for (int axis = 0; axis < shape.length; axis++) {
        Object dim = dims.get(axis);
        if (dim instanceof Long value && value != shape[axis]) {
          throw OnnxTieException.badInput(
              where + " is " + tensor.describe() + " but the model declares " + spec.describe());
        }
        if (dim instanceof String symbol) {
          Long fixed =
              options.dims().containsKey(symbol)
                  ? options.dims().get(symbol)
                  : fileDims.get(symbol);
          if (fixed != null && fixed != shape[axis]) {
            throw OnnxTieException.badInput(
                where
                    + " has "
                    + symbol
                    + " = "
                    + shape[axis]
                    + " but "
                    + symbol
                    + " is "
                    + fixed
                    + (options.dims().containsKey(symbol)
                        ? " in the dims option"
                        : " in another input file"));
          }
          fileDims.put(symbol, shape[axis]);
        }
      }
    }
    return given;
  }

  /** Options that name inputs or dims must name ones the models have. */
  private void checkOptionNames(List<InputSpec> inputsA, List<InputSpec> inputsB) {
    Set<String> names = new LinkedHashSet<>();
    Set<String> symbols = new LinkedHashSet<>();
    for (InputSpec input : concat(inputsA, inputsB)) {
      names.add(input.name());
      if (input.dims() != null) {
        for (Object dim : input.dims()) {
          if (dim instanceof String symbol) {
            symbols.add(symbol);
          }
        }
      }
    }
    for (String name :
        concat(List.copyOf(options.inputs().keySet()), List.copyOf(options.ranges().keySet()))) {
      if (!names.contains(name)) {
        throw OnnxTieException.badInput(
            "'"
                + name
                + "' is no input of the model"
                + (inputsB.isEmpty() ? "" : "s")
                + " that needs feeding; valid: "
                + (names.isEmpty() ? "(none)" : String.join(", ", names)));
      }
    }
    for (String symbol : options.dims().keySet()) {
      if (!symbols.contains(symbol)) {
        throw OnnxTieException.badInput(
            "dim '"
                + symbol
                + "' is no symbolic dim of the inputs; valid: "
                + (symbols.isEmpty()
                    ? "(none: every input dim is fixed)"
                    : String.join(", ", symbols)));
      }
    }
  }

  private static <T> List<T> concat(List<T> first, List<T> second) {
    return Stream.concat(first.stream(), second.stream()).toList();
  }

  // ---------------------------------------------------------------- data sets

  /** A value read from a data-set file. */
  private record DataItem(Value value, Path file) {}

  /**
   * Reads {@code kind_N.pb} files of an ONNX test-layout folder, matched to the declared names by
   * the name in the file, or by N when that name is empty or unknown. Unmatched files are bad input
   * for inputs; for outputs they are kept under {@code output_N}, to be reported as missing.
   */
  private static Map<String, DataItem> readDataSet(
      Path folder, String kind, Map<String, TypeProto> declared, boolean strict) {
    if (!Files.isDirectory(folder)) {
      throw OnnxTieException.badInput("data set " + folder + " is not a folder");
    }
    Map<Integer, Path> files = new TreeMap<>();
    try (Stream<Path> listing = Files.list(folder)) {
      listing.forEach(
          file -> {
            Matcher matcher = DATA_FILE.matcher(file.getFileName().toString());
            if (matcher.matches() && matcher.group(1).equals(kind)) {
              files.put(Integer.parseInt(matcher.group(2)), file);
            }
          });
    } catch (IOException | NumberFormatException e) {
      throw OnnxTieException.badInput("cannot list data set " + folder + ": " + e.getMessage(), e);
    }
    List<String> names = new ArrayList<>(declared.keySet());
    Map<String, DataItem> values = new LinkedHashMap<>();
    for (Map.Entry<Integer, Path> entry : files.entrySet()) {
      Path file = entry.getValue();
      String named = DataFiles.nameIn(file);
      String target =
          declared.containsKey(named)
              ? named
              : entry.getKey() < names.size() ? names.get(entry.getKey()) : null;
      if (target == null) {
        if (strict) {
          throw OnnxTieException.badInput(
              file
                  + (named.isEmpty() ? "" : " holds '" + named + "', which")
                  + " matches no "
                  + kind
                  + " of the model; "
                  + kind
                  + "s: "
                  + (names.isEmpty() ? "(none)" : String.join(", ", names)));
        }
        target = kind + "_" + entry.getKey();
      }
      values.put(target, new DataItem(DataFiles.readValue(file, declared.get(target)), file));
    }
    return values;
  }

  // ---------------------------------------------------------------- sessions and runs

  /** The progress step of one run of one session: "run 2 of 3 (B)". */
  private static String runStep(int run, int runs, char session) {
    return "run " + (run + 1) + " of " + runs + " (" + session + ")";
  }

  private List<OutputComparison> compareOutputs(
      List<String> names, Map<String, Value> a, Map<String, Value> b, String errorB) {
    Comparator comparator = new Comparator(options.atol(), options.rtol());
    List<OutputComparison> comparisons = new ArrayList<>();
    for (String name : names) {
      if (errorB != null) {
        Value expected = a.get(name);
        comparisons.add(
            new OutputComparison(
                name,
                Status.ERROR,
                expected == null ? null : expected.describe(),
                null,
                expected instanceof HostTensor tensor ? tensor.shape() : null,
                null,
                0,
                0,
                0,
                0,
                true,
                false,
                "model b failed: " + errorB,
                List.of()));
      } else {
        comparisons.add(comparator.compare(name, a.get(name), b.get(name)));
      }
    }
    return comparisons;
  }

  // ---------------------------------------------------------------- interfaces

  private static Map<String, TypeProto> typesOf(List<InputSpec> inputs) {
    Map<String, TypeProto> types = new LinkedHashMap<>();
    for (InputSpec input : inputs) {
      types.put(input.name(), input.type());
    }
    return types;
  }

  private static Map<String, TypeProto> outputTypes(OnnxModel model) {
    Map<String, TypeProto> types = new LinkedHashMap<>();
    for (ValueInfoProto output : model.proto().getGraph().getOutputList()) {
      types.put(output.getName(), output.getType());
    }
    return types;
  }

  private static List<InterfaceDifference> interfaceDifferences(
      String kind, Map<String, TypeProto> a, Map<String, TypeProto> b) {
    List<InterfaceDifference> differences = new ArrayList<>();
    for (Map.Entry<String, TypeProto> entry : a.entrySet()) {
      TypeProto other = b.get(entry.getKey());
      String typeA = InputSynthesizer.describeType(entry.getValue());
      if (other == null) {
        differences.add(
            new InterfaceDifference(kind, entry.getKey(), typeA, null, "only model a has it"));
        continue;
      }
      String problem = typeDifference(entry.getValue(), other);
      if (problem != null) {
        differences.add(
            new InterfaceDifference(
                kind, entry.getKey(), typeA, InputSynthesizer.describeType(other), problem));
      }
    }
    for (Map.Entry<String, TypeProto> entry : b.entrySet()) {
      if (!a.containsKey(entry.getKey())) {
        differences.add(
            new InterfaceDifference(
                kind,
                entry.getKey(),
                null,
                InputSynthesizer.describeType(entry.getValue()),
                "only model b has it"));
      }
    }
    return differences;
  }

  /**
   * What differs between two declared types, ignoring the names of symbolic dims; null if nothing.
   */
  private static String typeDifference(TypeProto a, TypeProto b) {
    if (a.getValueCase() != b.getValueCase()) {
      return "kind differs";
    }
    if (!a.hasTensorType()) {
      return a.equals(b) ? null : "type differs";
    }
    TypeProto.Tensor ta = a.getTensorType();
    TypeProto.Tensor tb = b.getTensorType();
    if (ta.getElemType() != tb.getElemType()) {
      return "dtype differs";
    }
    if (!ta.hasShape() || !tb.hasShape()) {
      return null;
    }
    if (ta.getShape().getDimCount() != tb.getShape().getDimCount()) {
      return "rank differs";
    }
    for (int axis = 0; axis < ta.getShape().getDimCount(); axis++) {
      var da = ta.getShape().getDim(axis);
      var db = tb.getShape().getDim(axis);
      if (da.hasDimValue() && db.hasDimValue() && da.getDimValue() != db.getDimValue()) {
        return "shape differs at axis " + axis;
      }
    }
    return null;
  }
}
