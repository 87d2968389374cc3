package dev.onnxtie.verify;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.Verification.Input;
import dev.onnxtie.api.Verification.InterfaceDifference;
import dev.onnxtie.api.Verification.Output;
import dev.onnxtie.api.Verification.Session;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Runs ONNX models in ONNX Runtime and compares their outputs.
 *
 * <p>{@link #compare} runs two models on the same inputs ({@link VerifyOptions#runs()} input sets)
 * and compares every output; {@link #againstExpected} runs one model on an ONNX test-layout data
 * set and compares its outputs with the {@code output_*.pb} files there. Both return the api's
 * {@link Verification} (built by {@code Reports}, restricted to {@link VerifyOptions#outputs()}
 * where given); differences, including models whose inputs or outputs disagree, are reported, never
 * thrown. Failures of the setup are {@link OnnxTieException}s with exit code {@link
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
 *
 * <p>One job: the runs (about 440 lines); {@link #compare} and {@link #againstExpected} share the
 * sessions, the reference run and the output comparison. Feed planning ({@code FeedPlanner}), data
 * sets ({@code DataSets}), interface checks ({@code Interfaces}), the retry with other dims ({@code
 * DimRetry}) and per-model dims ({@code ModelDims}) are classes of their own.
 */
public final class Verifier implements AutoCloseable {
  private final VerifyOptions options;
  private final OrtSessions sessions;
  private final FeedPlanner planner;
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
    this.planner = new FeedPlanner(options);
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
   *     input, dim or output of the models, model A fails to run on the inputs, or nothing was
   *     compared and {@link VerifyOptions#allowEmpty()} is false
   */
  public Verification compare(Path a, Path b) {
    checkOpen();
    try (OnnxModel modelA = ModelIO.read(a)) {
      return compare(modelA, b);
    }
  }

  /**
   * {@link #compare(Path, Path)} with model A read already (a rewrite's input, read once): its
   * sessions load its file, {@link OnnxModel#source()}, which must be a file.
   */
  public Verification compare(OnnxModel modelA, Path b) {
    checkOpen();
    if (modelA.source() == null) {
      throw new IllegalArgumentException("model A must be read from a file");
    }
    try (OnnxModel modelB = ModelIO.read(b)) {
      List<InputSpec> inputsA = InputSynthesizer.inputsOf(modelA);
      List<InputSpec> inputsB = InputSynthesizer.inputsOf(modelB);
      planner.checkOptionNames(inputsA, inputsB);
      List<InterfaceDifference> differences = new ArrayList<>();
      differences.addAll(
          Interfaces.interfaceDifferences(
              "input", Interfaces.typesOf(inputsA), Interfaces.typesOf(inputsB)));
      differences.addAll(
          Interfaces.interfaceDifferences(
              "output", Interfaces.outputTypes(modelA), Interfaces.outputTypes(modelB)));
      List<String> notes = new ArrayList<>(sessions.providerNotes());

      Map<String, ValueRange> ranges = new LinkedHashMap<>();
      InputSynthesizer.inferRanges(modelB)
          .forEach((name, range) -> ranges.put(name, ValueRange.of(range[0], range[1])));
      InputSynthesizer.inferRanges(modelA)
          .forEach((name, range) -> ranges.put(name, ValueRange.of(range[0], range[1])));
      ranges.putAll(options.ranges());
      Map<String, Long> fileDims = new LinkedHashMap<>();
      Map<String, FeedPlanner.Given> given = planner.givenInputs(inputsA, inputsB, fileDims);

      List<String> outputNames = new ArrayList<>(Interfaces.outputTypes(modelA).keySet());
      for (String name : Interfaces.outputTypes(modelB).keySet()) {
        if (!outputNames.contains(name)) {
          outputNames.add(name);
        }
      }
      Map<String, Long> dimsUsed = new TreeMap<>();
      List<Verification.Run> runs = new ArrayList<>();
      List<Session> sessionInfos = new ArrayList<>();
      List<FeedPlanner.RunFeeds> allFeeds = new ArrayList<>();
      for (int run = 0; run < options.runs(); run++) {
        Map<String, Long> bound = new LinkedHashMap<>(fileDims);
        allFeeds.add(planner.feeds(options.seed() + run, inputsA, inputsB, given, ranges, bound));
        dimsUsed.putAll(bound);
      }
      // one session at a time: A runs on every input set and is closed before B is created
      Session[] infoA = new Session[1];
      Set<String> defaulted = new TreeSet<>(dimsUsed.keySet());
      defaulted.removeAll(options.dims().keySet());
      defaulted.removeAll(fileDims.keySet());
      DimRetry retry =
          defaulted.isEmpty()
              ? null
              : new DimRetry(defaulted, dimsUsed, inputsA, inputsB, given, ranges, fileDims);
      List<Map<String, Value>> outputsA = runReference(modelA, allFeeds, infoA, notes, retry);
      boolean cudaForA = sessions.usingCuda();
      List<Session> infoB = new ArrayList<>();
      List<Object> outputsB = new ArrayList<>();
      try (OrtSessions.Sessions open = sessions.openSessions(List.of(modelB), 'B', infoB, notes)) {
        for (int run = 0; run < allFeeds.size(); run++) {
          FeedPlanner.RunFeeds feeds = allFeeds.get(run);
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
        FeedPlanner.RunFeeds feeds = allFeeds.get(run);
        Object resultB = outputsB.get(run);
        @SuppressWarnings("unchecked")
        Map<String, Value> valuesB =
            resultB instanceof Map<?, ?> map ? (Map<String, Value>) map : null;
        String errorB = resultB instanceof String error ? error : null;
        runs.add(
            Reports.run(
                run,
                feeds.anyRandom() ? options.seed() + run : null,
                feeds.used(),
                compareOutputs(outputNames, outputsA.get(run), valuesB, errorB),
                errorB));
      }
      return Reports.verification(
          modelA.source().toString(),
          b.toString(),
          provider(),
          options,
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
      List<FeedPlanner.RunFeeds> allFeeds,
      Session[] info,
      List<String> notes,
      DimRetry retry) {
    Path a = modelA.source();
    List<Session> infos = new ArrayList<>();
    List<Map<String, Value>> outputs = new ArrayList<>();
    try (OrtSessions.Sessions open = sessions.openSessions(List.of(modelA), 'A', infos, notes)) {
      for (int run = 0; run < allFeeds.size(); run++) {
        FeedPlanner.RunFeeds feeds = allFeeds.get(run);
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
                  + Reports.describe(feeds.used())
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

  /** Whether the reference session runs on inputs made with these values for the defaulted dims. */
  private boolean runs(OrtSession session, Map<String, Long> dims, DimRetry retry) {
    Map<String, Long> all = new LinkedHashMap<>(options.dims());
    all.putAll(dims);
    try {
      FeedPlanner.RunFeeds feeds =
          planner.feeds(
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
   * The options for each of several models: a {@code --dim} applies to the models that declare it
   * (see {@link ModelDims#perModel}).
   */
  public static List<VerifyOptions> perModel(VerifyOptions options, List<Path> models) {
    return ModelDims.perModel(options, models);
  }

  /**
   * Runs {@code model} on the inputs of an ONNX test-layout folder ({@code input_0.pb}, ...) and
   * compares its outputs with the {@code output_0.pb}, ... there. Data files are matched to graph
   * inputs and outputs by their tensor name, or by position when the name is empty or unknown.
   * Files in {@link VerifyOptions#inputs()} replace data-set inputs of the same name; inputs that
   * neither provides are not fed (ONNX Runtime then reports them missing unless they are optional).
   * One run.
   *
   * @throws OnnxTieException (bad input) when the model cannot be read or loaded, the folder holds
   *     no usable data, an output named in {@link VerifyOptions#outputs()} exists on neither side,
   *     or nothing was compared and {@link VerifyOptions#allowEmpty()} is false
   */
  public Verification againstExpected(Path model, Path dataSetDir) {
    checkOpen();
    try (OnnxModel onnx = ModelIO.read(model)) {
      List<InputSpec> inputs = InputSynthesizer.inputsOf(onnx);
      planner.checkOptionNames(inputs, List.of());
      if (!Files.isDirectory(dataSetDir)) {
        throw OnnxTieException.badInput("data set " + dataSetDir + " is not a folder");
      }
      Map<String, TypeProto> outputs = Interfaces.outputTypes(onnx);
      List<String> notes = new ArrayList<>(sessions.providerNotes());
      if (options.runs() > 1) {
        notes.add("runs = " + options.runs() + " ignored: a data set is one input set");
      }
      List<Session> sessionInfos = new ArrayList<>();
      try (OrtSessions.Sessions open = sessions.openSessions(List.of(onnx), sessionInfos, notes)) {
        Map<String, Value> feedValues = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (Map.Entry<String, DataSets.DataItem> item :
            DataSets.readDataSet(dataSetDir, "input", Interfaces.typesOf(inputs), true)
                .entrySet()) {
          feedValues.put(item.getKey(), item.getValue().value());
          sources.put(item.getKey(), item.getValue().file().toString());
        }
        for (Map.Entry<String, Path> file : options.inputs().entrySet()) {
          feedValues.put(file.getKey(), DataFiles.readTensor(file.getValue()));
          sources.put(file.getKey(), file.getValue().toString());
        }
        List<Input> used = new ArrayList<>();
        Map<String, HostTensor> feed = new LinkedHashMap<>();
        for (Map.Entry<String, Value> entry : feedValues.entrySet()) {
          Value value = entry.getValue();
          if (value instanceof HostTensor tensor) {
            feed.put(entry.getKey(), tensor);
            used.add(
                Reports.input(
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
        for (Map.Entry<String, DataSets.DataItem> item :
            DataSets.readDataSet(dataSetDir, "output", outputs, false).entrySet()) {
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
        List<Verification.Run> runs =
            List.of(
                Reports.run(0, null, used, compareOutputs(names, expected, actual, error), error));
        return Reports.verification(
            dataSetDir.toString(),
            model.toString(),
            provider(),
            options,
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

  // ---------------------------------------------------------------- sessions and runs

  /** The progress step of one run of one session: "run 2 of 3 (B)". */
  private static String runStep(int run, int runs, char session) {
    return "run " + (run + 1) + " of " + runs + " (" + session + ")";
  }

  private List<Output> compareOutputs(
      List<String> names, Map<String, Value> a, Map<String, Value> b, String errorB) {
    Comparator comparator = new Comparator(options.atol(), options.rtol());
    List<Output> comparisons = new ArrayList<>();
    for (String name : names) {
      if (errorB != null) {
        Value expected = a.get(name);
        comparisons.add(
            Reports.output(
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
}
