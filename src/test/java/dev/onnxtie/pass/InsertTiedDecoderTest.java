package dev.onnxtie.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.cli.JsonOutput;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code insert} on the Keras example, a 3-layer encoder and a MatMul encoder, with an independent
 * computation.
 */
class InsertTiedDecoderTest {
  static final Path KERAS = TestModels.samples().resolve("keras_encoder/model.onnx");
  static final Path MLP = TestModels.samples().resolve("mlp_encoder/model.onnx");

  static ModelProto load(Path file) throws Exception {
    return ModelProto.parseFrom(Files.readAllBytes(file));
  }

  static float[] floats(ModelProto model, String name) {
    for (TensorProto tensor : model.getGraph().getInitializerList()) {
      if (tensor.getName().equals(name)) {
        FloatBuffer values =
            tensor
                .getRawData()
                .asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float[] out = new float[values.remaining()];
        values.get(out);
        return out;
      }
    }
    throw new AssertionError("no initializer " + name);
  }

  static long parameters(ModelProto model) {
    return model.getGraph().getInitializerList().stream()
        .mapToLong(t -> t.getDimsList().stream().reduce(1L, (a, b) -> a * b))
        .sum();
  }

  /**
   * y = act(x · W + b) with W given as [in,out] (or [out,in] when transposed), in double precision.
   */
  static double[] dense(
      double[] x,
      int rows,
      float[] w,
      int in,
      int out,
      boolean transposed,
      float[] b,
      DoubleUnaryOperator act) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double sum = b == null ? 0 : b[o];
        for (int i = 0; i < in; i++) {
          sum += x[r * in + i] * (transposed ? w[o * in + i] : w[i * out + o]);
        }
        y[r * out + o] = act.applyAsDouble(sum);
      }
    }
    return y;
  }

  static float[] output(Path model, String input, float[] x, long[] shape, String name)
      throws Exception {
    ByteBuffer bytes = OrtRun.floats(model, input, x, shape).get(name);
    FloatBuffer values = bytes.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[values.remaining()];
    values.get(out);
    return out;
  }

  static void assertClose(double[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 + 1e-5 * Math.abs(expected[i]), "element " + i);
    }
  }

  static double[] toDouble(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  static final DoubleUnaryOperator RELU = v -> Math.max(0, v);

  @Test
  void kerasExampleGetsATiedDecoder(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("ae.onnx");
    Cli result =
        Cli.run(
            "insert",
            KERAS.toString(),
            out.toString(),
            "--encoder",
            "/dense/Gemm",
            "--activation",
            "same");
    assertEquals(0, result.code(), result.err());
    ModelProto model = load(out);
    assertEquals(
        35, parameters(model), "25 shared weights + 5 encoder bias + 5 decoder bias, not 60");
    GraphProto graph = model.getGraph();
    NodeProto decoder =
        graph.getNodeList().stream()
            .filter(n -> n.getName().contains("decoder") && n.getOpType().equals("Gemm"))
            .findFirst()
            .orElseThrow();
    assertEquals("dense.weight", decoder.getInput(1), "the decoder reads the encoder's own weight");
    assertEquals(
        0,
        decoder.getAttributeList().stream()
            .filter(a -> a.getName().equals("transB"))
            .findFirst()
            .orElseThrow()
            .getI(),
        "transB flipped");
    assertEquals("/dense/Gemm_decoded", graph.getOutput(1).getName());
    float[] w = floats(model, "dense.weight");
    float[] b = floats(model, "dense.bias");
    float[] x = TestModels.randomFloats(3, 4 * 5);
    double[] h = dense(toDouble(x), 4, w, 5, 5, true, b, RELU);
    double[] expected = dense(h, 4, w, 5, 5, false, null, RELU);
    assertClose(expected, output(out, "x", x, new long[] {4, 5}, "/dense/Gemm_decoded"));
    // already tied: rewrite finds nothing; with the encoder's bias (widths agree) 30 parameters
    assertEquals(0, OnnxTie.inspect(out, 64).duplicates().size());
    Cli rewrite =
        Cli.run("rewrite", out.toString(), dir.resolve("again.onnx").toString(), "--json");
    assertEquals(0, rewrite.code(), "rewrite of the tied output succeeds: " + rewrite.err());
    assertEquals(
        0,
        JsonOutput.result(rewrite)
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("result")
            .get("changes")
            .getAsInt(),
        "rewrite finds nothing left to tie: " + rewrite.out());
    assertEquals(
        0,
        Cli.run("verify", out.toString(), out.toString()).code(),
        "verify of the model against itself passes");
    Path shared = dir.resolve("shared.onnx");
    assertEquals(
        0,
        Cli.run(
                "insert",
                KERAS.toString(),
                shared.toString(),
                "--encoder",
                "/dense/Gemm",
                "--bias",
                "encoder")
            .code());
    assertEquals(30, parameters(load(shared)));
  }

  @Test
  void mirrorBuildsAThreeLayerTiedAutoencoder(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("ae.onnx");
    Cli result =
        Cli.run("insert", MLP.toString(), out.toString(), "--mirror", "--output", "reconstruction");
    assertEquals(0, result.code(), result.err());
    ModelProto before = load(MLP);
    ModelProto model = load(out);
    long addedWeights =
        model.getGraph().getInitializerList().stream()
            .filter(
                t ->
                    before.getGraph().getInitializerList().stream()
                        .noneMatch(o -> o.getName().equals(t.getName())))
            .filter(t -> t.getDimsCount() != 1)
            .count();
    assertEquals(0, addedWeights, "no weight-sized initializer added, only biases");
    assertEquals(parameters(before) + 64 + 32 + 16, parameters(model));
    List<NodeProto> decoders =
        model.getGraph().getNodeList().stream()
            .filter(n -> n.getName().contains("_decoder_gemm"))
            .toList();
    assertEquals(3, decoders.size());
    for (int k = 0; k < 3; k++) {
      String weight = "layers." + k + ".weight";
      assertTrue(
          decoders.stream().anyMatch(d -> d.getInput(1).equals(weight)),
          "a decoder reads " + weight);
    }
    int[] widths = {64, 32, 16, 8};
    float[] x = TestModels.randomFloats(5, 3 * 64);
    double[] h = toDouble(x);
    for (int k = 0; k < 3; k++) {
      h =
          dense(
              h,
              3,
              floats(model, "layers." + k + ".weight"),
              widths[k],
              widths[k + 1],
              true,
              floats(model, "layers." + k + ".bias"),
              Math::tanh);
    }
    for (int k = 2; k >= 0; k--) {
      h =
          dense(
              h,
              3,
              floats(model, "layers." + k + ".weight"),
              widths[k + 1],
              widths[k],
              false,
              null,
              Math::tanh);
    }
    assertClose(h, output(out, "x", x, new long[] {3, 64}, "reconstruction"));
  }

  @Test
  void matMulEncoderIsReadThroughATranspose(@TempDir Path dir) throws Exception {
    float[] w = TestModels.randomFloats(8, 6 * 4);
    float[] b = TestModels.randomFloats(9, 4);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(TestModels.floats("W", w, 6, 4))
            .addInitializer(TestModels.floats("b", b, 4))
            .addInput(TestModels.value("x", 1, "n", 6))
            .addOutput(TestModels.value("h", 1, "n", 4))
            .addNode(TestModels.node("MatMul", "enc", List.of("x", "W"), List.of("xw")))
            .addNode(TestModels.node("Add", "enc_bias", List.of("xw", "b"), List.of("pre")))
            .addNode(TestModels.node("Sigmoid", "enc_act", List.of("pre"), List.of("h")))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("enc.onnx"));
    Path out = dir.resolve("ae.onnx");
    Cli result =
        Cli.run(
            "insert",
            in.toString(),
            out.toString(),
            "--encoder",
            "enc",
            "--activation",
            "same",
            "--output",
            "xhat");
    assertEquals(0, result.code(), result.err());
    ModelProto model = load(out);
    NodeProto transpose =
        model.getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("Transpose"))
            .findFirst()
            .orElseThrow();
    assertEquals(List.of("W"), transpose.getInputList());
    float[] x = TestModels.randomFloats(10, 2 * 6);
    double[] h = dense(toDouble(x), 2, w, 6, 4, false, b, v -> 1 / (1 + Math.exp(-v)));
    double[] expected =
        dense(h, 2, TestModels.transpose(w, 6, 4), 4, 6, false, null, v -> 1 / (1 + Math.exp(-v)));
    assertClose(expected, output(out, "x", x, new long[] {2, 6}, "xhat"));
    assertEquals(
        List.of("n", "6"),
        model
            .getGraph()
            .getOutputList()
            .get(1)
            .getType()
            .getTensorType()
            .getShape()
            .getDimList()
            .stream()
            .map(d -> d.hasDimParam() ? d.getDimParam() : Long.toString(d.getDimValue()))
            .toList());
  }

  @Test
  void errorsNameTheProblem(@TempDir Path dir) {
    String out = dir.resolve("out.onnx").toString();
    Map<List<String>, String> cases =
        Map.of(
            List.of("--encoder", "/Relu"), "is not a dense layer",
            List.of("--encoder", "nope"), "dense layers: /dense/Gemm",
            List.of("--encoder", "/dense/Gemm", "--bias", "dense.weight"),
                "the decoder needs float[5]",
            List.of("--encoder", "/dense/Gemm", "--input", "x", "--output", "y"), "already exists",
            List.of("--encoder", "/dense/Gemm", "--activation", "softplus"), "valid: none, relu");
    cases.forEach(
        (args, words) -> {
          List<String> all = new ArrayList<>(List.of("insert", KERAS.toString(), out));
          all.addAll(args);
          Cli result = Cli.run(all.toArray(String[]::new));
          assertEquals(2, result.code(), args + ": " + result.err());
          assertEquals(1, result.errLines(), result.err());
          assertTrue(result.err().contains(words), args + ": " + result.err());
          assertTrue(Files.notExists(Path.of(out)));
        });
  }

  @Test
  void inputOfTheWrongWidthIsRefused(@TempDir Path dir) {
    Cli result =
        Cli.run(
            "insert",
            MLP.toString(),
            dir.resolve("o.onnx").toString(),
            "--encoder",
            "/layers.2/Gemm",
            "--input",
            "x");
    assertEquals(2, result.code(), result.err());
    assertTrue(
        result.err().contains("has width 64 but the decoder of /layers.2/Gemm reads width 8"),
        result.err());
  }
}
