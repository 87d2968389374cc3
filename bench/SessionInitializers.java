import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.TiedSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The initializer bytes an ONNX Runtime session holds, read from ONNX Runtime's own optimized
 * model: {@code TiedSession.open} against {@code env.createSession} of the original, optimization
 * level ALL, with {@code SessionOptions.setOptimizedModelFilePath} set, so that ONNX Runtime writes
 * the graph it runs (after constant folding: the original's Transpose of a weight becomes a second
 * initializer, the memory form's Gemm with {@code transB} does not); {@code onnx-tie inspect}'s
 * counts of that file's initializers:
 *
 * <pre>
 * java -cp target/onnx-tie-cli.jar bench/SessionInitializers.java MODEL [--disable-prepacking]
 * </pre>
 *
 * <p>Deterministic (one run is the measurement). Prints one line of key=value fields per way:
 * {@code initializers} (count), {@code initializer_bytes}, {@code largest} (the bytes of the three
 * largest), {@code ops} (the optimized graph's op counts). What prepacking adds at run time is not
 * in the optimized model: ONNX Runtime writes the initializers before it prepacks them.
 */
public final class SessionInitializers {
  private SessionInitializers() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println(
          "usage: java -cp JAR bench/SessionInitializers.java MODEL [--disable-prepacking]");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    boolean disablePrepacking = args.length == 2 && args[1].equals("--disable-prepacking");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Path dir = Files.createTempDirectory("session-initializers-");
    try {
      for (String way : new String[] {"original", "tied"}) {
        Path optimized = dir.resolve(way + ".onnx");
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
          options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
          options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
          options.setOptimizedModelFilePath(optimized.toString());
          if (disablePrepacking) {
            options.addConfigEntry("session.disable_prepacking", "1");
          }
          if (way.equals("tied")) {
            try (TiedSession session = TiedSession.open(env, model, options)) {
              // created: ONNX Runtime has written the optimized model
            }
          } else {
            try (OrtSession session = env.createSession(model.toString(), options)) {
              // created
            }
          }
        }
        InspectReport report = OnnxTie.inspect(optimized, 0);
        System.out.printf(
            "model=%s way=%s prepacking=%s initializers=%d initializer_bytes=%d ops=%s%n",
            model,
            way,
            disablePrepacking ? "off" : "on",
            report.initializersByType().values().stream()
                .mapToInt(InspectReport.TypeTotal::count)
                .sum(),
            report.initializersByType().values().stream()
                .mapToLong(InspectReport.TypeTotal::bytes)
                .sum(),
            report.nodesByOp().toString().replace(" ", ""));
        Files.delete(optimized);
      }
    } finally {
      try (Stream<Path> left = Files.walk(dir)) {
        left.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }
}
