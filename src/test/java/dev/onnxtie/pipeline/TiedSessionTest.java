package dev.onnxtie.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.TiedSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TiedSession#open}: the session of the tied model computes what a session of the original
 * computes, the report names what was tied, and nothing staged is left behind.
 */
class TiedSessionTest {
  static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @TempDir Path dir;

  @Test
  void dynamoTiedOpensTiedWithTheOriginalsOutputs() throws Exception {
    Path model = TestModels.samples().resolve("dynamo_tied/model.onnx");
    long[] ids = OrtRun.ids(16, 512);
    List<String> before = staged();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        TiedSession tied = TiedSession.open(ENV, model, options);
        OnnxTensor input = OnnxTensor.createTensor(ENV, LongBuffer.wrap(ids), new long[] {2, 8});
        OrtSession.Result result = tied.session().run(Map.of("input_ids", input))) {
      // the sample's head reads the embedding through Transpose -> MatMul: the memory form turns
      // it into Gemm(transB=1), so ONNX Runtime no longer folds a transposed copy
      assertEquals(1, tied.ties().changes(), tied.ties().toString());
      float[] actual = floats((OnnxTensor) result.get(0));
      float[] expected = floats(OrtRun.int64(model, "input_ids", ids, 2, 8).get("logits"));
      assertEquals(expected.length, actual.length);
      assertClose(expected, actual);
    }
    assertEquals(before, staged(), "the staged model is removed once the session exists");
  }

  /**
   * What the session holds, in ONNX Runtime's own words: the optimized model it writes with {@code
   * setOptimizedModelFilePath} (optimization level ALL, the graph it runs). Opening the original,
   * constant folding turns the Transpose of the embedding (262,144 bytes, [512, 128] float) into a
   * second initializer: 524,288 bytes. The tied session's Gemm reads the embedding with {@code
   * transB}: the embedding once, plus 40 bytes of shape constants of the Gemm form's Reshapes.
   * Process RSS cannot show this 256 KiB (bench/RESULTS.md); these counts are exact.
   */
  @Test
  void dynamoTiedSessionHoldsTheEmbeddingOnceWhereTheOriginalHoldsItTwice() throws Exception {
    Path model = TestModels.samples().resolve("dynamo_tied/model.onnx");
    long original = sessionInitializerBytes(model, false);
    long tied = sessionInitializerBytes(model, true);
    assertEquals(2 * 262_144, original, "the original's session: the embedding and its transpose");
    assertEquals(262_144 + 40, tied, "the tied session: the embedding once");
    assertEquals(262_104, original - tied);
  }

  private long sessionInitializerBytes(Path model, boolean tied) throws Exception {
    Path optimized = Files.createTempDirectory(dir, "optimized").resolve("model.onnx");
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      options.setOptimizedModelFilePath(optimized.toString());
      if (tied) {
        try (TiedSession session = TiedSession.open(ENV, model, options)) {
          // created: ONNX Runtime has written the optimized model
        }
      } else {
        try (OrtSession session = ENV.createSession(model.toString(), options)) {
          // created: ONNX Runtime has written the optimized model
        }
      }
    }
    return OnnxTie.inspect(optimized, 0).initializersByType().values().stream()
        .mapToLong(InspectReport.TypeTotal::bytes)
        .sum();
  }

  @Test
  void gpt2TiedTiesItsFoldedTransposeAndComputesTheSame() throws Exception {
    Path model = TestModels.samples().resolve("gpt2_tied/model.onnx");
    long[] ids = OrtRun.ids(16, 1000);
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        TiedSession tied = TiedSession.open(ENV, model, options);
        OnnxTensor input = OnnxTensor.createTensor(ENV, LongBuffer.wrap(ids), new long[] {2, 8});
        OrtSession.Result result = tied.session().run(Map.of("input_ids", input))) {
      assertEquals(256_000, tied.ties().bytesSaved(), tied.ties().toString());
      float[] expected = floats(OrtRun.int64(model, "input_ids", ids, 2, 8).get("logits"));
      assertClose(expected, floats((OnnxTensor) result.get(0)));
    }
  }

  /**
   * docs/pipelines.md's example: prepacking off (where the memory form saves memory), the tied
   * session still computes the original's logits and the report counts the bytes not loaded.
   */
  @Test
  void theDocumentedExampleWithPrepackingOff() throws Exception {
    Path model = TestModels.samples().resolve("gpt2_tied/model.onnx");
    long[] ids = OrtRun.ids(16, 1000);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.addConfigEntry("session.disable_prepacking", "1");
      try (TiedSession tied = TiedSession.open(env, model, options);
          OnnxTensor input = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {2, 8});
          OrtSession.Result result = tied.session().run(Map.of("input_ids", input))) {
        assertEquals(256_000, tied.ties().bytesSaved(), tied.ties().toString());
        float[] expected = floats(OrtRun.int64(model, "input_ids", ids, 2, 8).get("logits"));
        assertClose(expected, floats((OnnxTensor) result.get(0)));
      }
    }
  }

  @Test
  void aModelWithNothingToTieOpensAsItIs() throws Exception {
    Path model = TestModels.samples().resolve("mlp_encoder/model.onnx");
    float[] x = new float[2 * 64];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 13) / 13f - 0.5f;
    }
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        TiedSession tied = TiedSession.open(ENV, model, options);
        OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), new long[] {2, 64});
        OrtSession.Result result = tied.session().run(Map.of("x", input))) {
      assertEquals(0, tied.ties().changes());
      float[] expected = floats(OrtRun.floats(model, "x", x, 2, 64).get("y"));
      assertClose(expected, floats((OnnxTensor) result.get(0)));
    }
  }

  @Test
  void aMissingModelIsBadInput() throws Exception {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      OnnxTieException e =
          assertThrows(
              OnnxTieException.class,
              () -> TiedSession.open(ENV, dir.resolve("missing.onnx"), options));
      assertEquals(2, e.exitCode());
      assertTrue(e.getMessage().contains("missing.onnx"), e.getMessage());
    }
  }

  private static float[] floats(ByteBuffer bytes) {
    FloatBuffer buffer = bytes.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }

  private static float[] floats(OnnxTensor tensor) {
    FloatBuffer buffer = tensor.getFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }

  /** Equal to float rounding (within 1e-5): Gemm and MatMul may sum in another order. */
  private static void assertClose(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      float tolerance = 1e-5f + 1e-5f * Math.abs(expected[i]);
      assertTrue(
          Math.abs(expected[i] - actual[i]) <= tolerance,
          "output " + i + ": " + actual[i] + ", original " + expected[i]);
    }
  }

  private static List<String> staged() throws Exception {
    try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> name.startsWith("onnx-tie-session-"))
          .sorted()
          .toList();
    }
  }
}
