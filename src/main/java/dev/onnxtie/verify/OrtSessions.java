package dev.onnxtie.verify;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.Verification.Session;
import dev.onnxtie.model.MappableCopy;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorShapeProto;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The ONNX Runtime side of a verification: the execution provider (CUDA or CPU; under AUTO, CUDA
 * when it starts, and CPU again when a CUDA session fails), a warm-up session, sessions of models
 * (single-file ones through a {@link MappableCopy}) with the memory each takes (measured in a fresh
 * process by {@link SessionMemory}), and runs that copy every output out and close every tensor.
 * Not thread-safe.
 *
 * <p>One job: the sessions of one verification, over about 480 lines, because choosing the provider
 * (and falling back from CUDA), the session options, loading and running all share one {@link
 * OrtEnvironment}, one provider choice and the notes they report; split apart, each piece would
 * hand that state to the others.
 */
final class OrtSessions {
  private final VerifyOptions options;
  private final OrtEnvironment env;
  private final List<String> providerNotes = new ArrayList<>();
  private boolean useCuda;
  private Consumer<String> progress = step -> {};

  /**
   * True in {@link SessionMemory}'s child: sessions are measured here, not in yet another process.
   */
  private boolean inProcess;

  /**
   * Sessions with these options; the provider is chosen here.
   *
   * @throws OnnxTieException (bad input) when CUDA is requested and this ONNX Runtime build or this
   *     machine cannot provide it
   */
  OrtSessions(VerifyOptions options) {
    this.options = options;
    CommandLineLimit.check(); // a crash of the whole process otherwise
    NativeLibraries
        .prepare(); // before ONNX Runtime's first class: its libraries from the cache, not a new
    // temp folder
    TelemetryFiles
        .removeAtExit(); // the files 1.29's telemetry writes as the environment is created
    this.env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "onnx-tie");
    disableTelemetry(env);
    this.useCuda = chooseCuda(options.provider());
  }

  /**
   * Turns ONNX Runtime's telemetry off: from 1.29 its Linux build carries Microsoft's telemetry
   * SDK. A verification sends nothing anywhere (the files it wrote at start go at exit: {@link
   * TelemetryFiles}).
   */
  private static void disableTelemetry(OrtEnvironment env) {
    try {
      env.setTelemetry(false);
    } catch (OrtException e) {
      throw new OnnxTieException(
          OnnxTieException.INTERNAL,
          "cannot turn ONNX Runtime's telemetry off: " + e.getMessage(),
          e);
    }
  }

  /** Sessions whose memory is measured in this process: for {@link SessionMemory}'s child. */
  static OrtSessions measuringInProcess(VerifyOptions options) {
    OrtSessions sessions = new OrtSessions(options);
    sessions.inProcess = true;
    return sessions;
  }

  /**
   * After the warm-up, the growth of this process's resident set across creating a session of
   * {@code model} (closed again); null where /proc is not available.
   */
  Long inProcessGrowth(OnnxModel model) {
    warmUp();
    List<Session> infos = new ArrayList<>();
    try (Sessions sessions = new Sessions()) {
      sessions.add(open(model, infos, false));
    }
    return infos.get(0).rssGrowthBytes();
  }

  /** Tells {@code listener} "session A (model.onnx)" as each session is created. */
  void progress(Consumer<String> listener) {
    this.progress = listener;
  }

  /** The provider the next sessions will use: {@code CUDA} or {@code CPU}. */
  String provider() {
    return useCuda ? "CUDA" : "CPU";
  }

  /** True while sessions are created with CUDA. */
  boolean usingCuda() {
    return useCuda;
  }

  /** What choosing the provider found worth saying (AUTO without CUDA). */
  List<String> providerNotes() {
    return List.copyOf(providerNotes);
  }

  /**
   * Whether this process has said why AUTO runs on CPU: said once per process (a folder verifies
   * every model with a verifier of its own), not in every report; each report names its provider.
   */
  private static final AtomicBoolean PROVIDER_NOTED = new AtomicBoolean();

  /** Lets the next verifier say again why AUTO runs on CPU: for tests. */
  static void resetProviderNote() {
    PROVIDER_NOTED.set(false);
  }

  private boolean chooseCuda(Provider requested) {
    if (requested == Provider.CPU) {
      return false;
    }
    EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
    if (!available.contains(OrtProvider.CUDA)) {
      if (requested == Provider.CUDA) {
        throw OnnxTieException.badInput(
            "CUDA was requested but this ONNX Runtime build has no CUDA provider (it has "
                + available
                + "); build onnx-tie with `mvn -Pgpu package` (the onnxruntime_gpu artifact) and run it on a "
                + "machine with a CUDA GPU, or use the CPU provider");
      }
      if (PROVIDER_NOTED.compareAndSet(false, true)) {
        providerNotes.add(
            "provider AUTO: this ONNX Runtime build has no CUDA provider; ran on CPU");
      }
      return false;
    }
    try (OrtSession.SessionOptions probe = new OrtSession.SessionOptions()) {
      probe.addCUDA(0);
      return true;
    } catch (OrtException | RuntimeException e) {
      if (requested == Provider.CUDA) {
        throw OnnxTieException.badInput(
            "CUDA was requested but ONNX Runtime could not start it: "
                + DataFiles.oneLine(e.getMessage())
                + "; onnx-tie needs the onnxruntime_gpu build (`mvn -Pgpu package`) on a "
                + "machine with a CUDA GPU and its driver, or use the CPU provider",
            e);
      }
      if (PROVIDER_NOTED.compareAndSet(false, true)) {
        providerNotes.add(
            "provider AUTO: CUDA could not be started ("
                + DataFiles.oneLine(e.getMessage())
                + "); ran on CPU");
      }
      return false;
    }
  }

  /**
   * Opens one session per model; under AUTO, a CUDA failure closes them all and retries on CPU.
   * Each session's memory is measured in this process ({@code in-process}): for a model run against
   * expected outputs, where no second session is compared with it and a child process per model
   * would double the time of a suite of a thousand small models.
   */
  Sessions openSessions(List<OnnxModel> models, List<Session> infos, List<String> notes) {
    return openSessions(models, 'A', infos, notes, false);
  }

  /**
   * {@link #openSessions(List, List, List)}, the first session named {@code firstSession} in the
   * progress steps ("session B (tied.onnx)"), each session's memory measured in a fresh process
   * ({@link SessionMemory}): the sessions of a comparison, whose figures are read side by side.
   */
  Sessions openSessions(
      List<OnnxModel> models, char firstSession, List<Session> infos, List<String> notes) {
    return openSessions(models, firstSession, infos, notes, true);
  }

  private Sessions openSessions(
      List<OnnxModel> models,
      char firstSession,
      List<Session> infos,
      List<String> notes,
      boolean fresh) {
    warmUp();
    while (true) {
      Sessions sessions = new Sessions();
      try {
        for (OnnxModel model : models) {
          progress.accept(
              "session "
                  + (char) (firstSession + sessions.sessions.size())
                  + " ("
                  + model.source().getFileName()
                  + ")");
          sessions.add(open(model, infos, fresh));
        }
        return sessions;
      } catch (CudaSessionFailure failure) {
        sessions.close();
        infos.clear();
        useCuda = false;
        notes.add(
            "provider AUTO: a CUDA session failed (" + failure.getMessage() + "); ran on CPU");
      } catch (RuntimeException e) {
        sessions.close();
        throw e;
      }
    }
  }

  private boolean warm;

  /**
   * Creates and closes one session of a one-node model first, so that ONNX Runtime's one-time
   * set-up (thread pools, allocators) is not counted as the first measured session's memory.
   */
  private void warmUp() {
    if (warm) {
      return;
    }
    warm = true;
    var type =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder()
                    .setElemType(1)
                    .setShape(
                        TensorShapeProto.newBuilder()
                            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1))))
            .build();
    byte[] identity =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
            .setGraph(
                GraphProto.newBuilder()
                    .setName("warm-up")
                    .addNode(
                        NodeProto.newBuilder().setOpType("Identity").addInput("x").addOutput("y"))
                    .addInput(ValueInfoProto.newBuilder().setName("x").setType(type))
                    .addOutput(ValueInfoProto.newBuilder().setName("y").setType(type)))
            .build()
            .toByteArray();
    try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions()) {
      sessionOptions.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      if (useCuda) {
        sessionOptions.addCUDA(0);
      }
      try (OrtSession session = env.createSession(identity, sessionOptions)) {
        session.getNumInputs();
      }
    } catch (OrtException | RuntimeException e) {
      // the real sessions report any problem; warming up is best effort
    }
  }

  /**
   * Single-file models with at least this many bytes of weights are loaded from a {@link
   * MappableCopy}.
   */
  private static volatile long mappableCopyMinBytes = 16L << 20;

  /**
   * Sets {@link #mappableCopyMinBytes}: for tests, which load small models through the copy too.
   */
  static void setMappableCopyMinBytes(long bytes) {
    mappableCopyMinBytes = bytes;
  }

  /** A CUDA session failed under AUTO: signals the retry on CPU. */
  private static final class CudaSessionFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CudaSessionFailure(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Opens a session of a model. A single-file model with at least {@link #mappableCopyMinBytes}
   * bytes of weights is loaded from a {@link MappableCopy} (deleted once the session exists), so
   * that ONNX Runtime maps its weights instead of holding them twice while it loads.
   */
  private OrtSession open(OnnxModel parsed, List<Session> infos, boolean fresh) {
    Path model = parsed.source();
    try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
        MappableCopy copy =
            options.loadAsIs() ? null : MappableCopy.of(parsed, mappableCopyMinBytes)) {
      sessionOptions.setOptimizationLevel(options.optLevel().ortLevel());
      sessionOptions.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      if (options.disablePrepacking()) {
        sessionOptions.addConfigEntry("session.disable_prepacking", "1");
      }
      if (useCuda) {
        sessionOptions.addCUDA(0);
      }
      // measured first, in a fresh process, so that the figure does not depend on what this process
      // ran before
      Long measured =
          inProcess || !fresh
              ? null
              : SessionMemory.measure(model, options, useCuda, mappableCopyMinBytes);
      long before = residentBytes();
      OrtSession session;
      Long mapped = null;
      if (copy == null) {
        session = env.createSession(model.toString(), sessionOptions);
      } else {
        try {
          session = env.createSession(copy.model().toString(), sessionOptions);
          mapped = copy.bytes();
        } catch (OrtException e) {
          // whatever ONNX Runtime refuses in the copy, it reports on the model itself, under its
          // own name
          session = env.createSession(model.toString(), sessionOptions);
        }
      }
      long after = residentBytes();
      Long here = before < 0 || after < 0 ? null : after - before;
      infos.add(
          measured != null
              ? new Session(
                  model.toString(), provider(), measured, mapped, SessionMemory.FRESH_PROCESS)
              : new Session(model.toString(), provider(), here, mapped, SessionMemory.IN_PROCESS));
      return session;
    } catch (OrtException | RuntimeException e) {
      if (e instanceof OnnxTieException tie) {
        throw tie;
      }
      if (e instanceof RuntimeException bug && !thrownByOrt(bug)) {
        throw bug; // a bug in onnx-tie, not a model ONNX Runtime refuses: internal error (exit 3)
      }
      if (useCuda && options.provider() == Provider.AUTO) {
        throw new CudaSessionFailure(DataFiles.oneLine(e.getMessage()));
      }
      String hint = options.optLevel().retryHint(e.getMessage());
      throw OnnxTieException.badInput(
          "ONNX Runtime cannot load " + model + ": " + DataFiles.oneLine(e.getMessage()) + hint, e);
    }
  }

  /** The process's resident set size from /proc/self/status, or -1 where that is not available. */
  static long residentBytes() {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.ISO_8859_1)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Feeds the tensors the session takes, runs it and copies every output out. */
  Map<String, Value> run(OrtSession session, Map<String, HostTensor> feed) throws OrtException {
    Set<String> accepted = session.getInputNames();
    try (OrtInputs inputs = new OrtInputs()) {
      for (Map.Entry<String, HostTensor> entry : feed.entrySet()) {
        if (accepted.contains(entry.getKey())) {
          inputs.put(entry.getKey(), OrtValues.toOrt(env, entry.getValue(), entry.getKey()));
        }
      }
      try (OrtSession.Result result = session.run(inputs.tensors)) {
        Map<String, Value> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, OnnxValue> output : result) {
          outputs.put(output.getKey(), OrtValues.fromOrt(output.getValue()));
        }
        return outputs;
      }
    } catch (OnnxTieException e) {
      throw e;
    } catch (RuntimeException e) {
      if (!thrownByOrt(e)) {
        throw e; // a bug in onnx-tie, not a model failing in ONNX Runtime: internal error (exit 3)
      }
      throw new OrtException(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * True when ONNX Runtime's Java API threw the exception (its unchecked ones, such as an {@code
   * IllegalArgumentException} for a tensor it cannot take); false for one thrown by onnx-tie's own
   * code, which is a bug to report as an internal error, never as a model failure.
   */
  static boolean thrownByOrt(RuntimeException e) {
    StackTraceElement[] trace = e.getStackTrace();
    return trace.length > 0 && trace[0].getClassName().startsWith("ai.onnxruntime.");
  }

  /** Input tensors of one run, closed together. */
  private static final class OrtInputs implements AutoCloseable {
    final Map<String, OnnxTensor> tensors = new LinkedHashMap<>();

    void put(String name, OnnxTensor tensor) {
      tensors.put(name, tensor);
    }

    @Override
    public void close() {
      OnnxValue.close(tensors);
    }
  }

  /**
   * Sessions open now, and the most open at once since the last {@link #resetMostOpen}: for tests.
   */
  private static final AtomicInteger OPEN = new AtomicInteger();

  private static final AtomicInteger MOST_OPEN = new AtomicInteger();

  /** The most ONNX Runtime sessions this process had open at once since {@link #resetMostOpen}. */
  static int mostOpenSessions() {
    return MOST_OPEN.get();
  }

  static void resetMostOpen() {
    MOST_OPEN.set(OPEN.get());
  }

  /** Open sessions, closed together. */
  static final class Sessions implements AutoCloseable {
    private final List<OrtSession> sessions = new ArrayList<>();

    void add(OrtSession session) {
      sessions.add(session);
      MOST_OPEN.accumulateAndGet(OPEN.incrementAndGet(), Math::max);
    }

    OrtSession get(int index) {
      return sessions.get(index);
    }

    @Override
    public void close() {
      for (OrtSession session : sessions) {
        try {
          session.close();
        } catch (OrtException e) {
          // closing releases native memory; a failure here leaves nothing to do
        }
        OPEN.decrementAndGet();
      }
      sessions.clear();
    }
  }
}
