package dev.onnxtie.pass;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.graphAttribute;
import static dev.onnxtie.TestModels.intAttribute;
import static dev.onnxtie.TestModels.model;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.permute;
import static dev.onnxtie.TestModels.randomFloats;
import static dev.onnxtie.TestModels.transpose;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.ApiTestAccess;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewrittenModel;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.proto.Onnx;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.tie.Relation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tie pass on tiny models built for each graph situation. */
class TieWeightsTest {
  @TempDir Path dir;

  record Outcome(ModelProto before, ModelProto after, PassResult result, Path in, Path out) {}

  /** Saves, rewrites (running the pass twice to check idempotence) and writes a model. */
  Outcome rewrite(ModelProto model, TieForm form) throws Exception {
    Path in = TestModels.save(model, Files.createTempFile(dir, "in", ".onnx"));
    Path out = dir.resolve(in.getFileName() + ".tied.onnx");
    PassResult result;
    try (OnnxModel read = ModelIO.read(in)) {
      GraphEditor editor = new GraphEditor(read);
      result = new TieWeights(form, RewriteOptions.defaults().minBytes()).apply(editor);
      ModelIO.write(editor.build(), out, WriteOptions.defaults());
    }
    try (OnnxModel again = ModelIO.read(out)) {
      RewrittenModel second =
          OnnxTie.rewrite(
              ApiTestAccess.wrap(again), RewriteOptions.defaults().withForm(form.name()));
      assertEquals(0, second.result().changes(), "a second rewrite changes nothing");
      assertEquals(
          again.proto(),
          ApiTestAccess.unwrap(second.model()).proto(),
          "a second rewrite leaves the model as it is");
    }
    OnnxChecker.check(out);
    return new Outcome(model, ModelProto.parseFrom(Files.readAllBytes(out)), result, in, out);
  }

  static List<String> initializerNames(GraphProto graph) {
    return graph.getInitializerList().stream().map(TensorProto::getName).toList();
  }

  static List<NodeProto> nodes(GraphProto graph, String op) {
    return graph.getNodeList().stream().filter(n -> n.getOpType().equals(op)).toList();
  }

  @Test
  void tiesTransposedHeadToEmbedding() throws Exception {
    Outcome outcome = rewrite(TestModels.embeddingAndHead(50, 8), TieForm.TRANSPOSE);
    assertEquals(List.of("emb"), initializerNames(outcome.after().getGraph()));
    NodeProto transpose = nodes(outcome.after().getGraph(), "Transpose").get(0);
    assertEquals(List.of("emb"), transpose.getInputList());
    assertEquals(List.of(1L, 0L), transpose.getAttribute(0).getIntsList());
    assertEquals(
        0,
        outcome.after().getGraph().getNodeList().indexOf(transpose),
        "placed before its readers");
    NodeProto head = nodes(outcome.after().getGraph(), "MatMul").get(0);
    assertEquals(transpose.getOutput(0), head.getInput(1));
    assertTrue(
        outcome.after().getGraph().getValueInfoList().stream()
            .anyMatch(v -> v.getName().equals(transpose.getOutput(0))));
    TieRecord tie = outcome.result().ties().get(0);
    assertEquals("emb", tie.kept());
    assertEquals("onnx::MatMul_head", tie.removed());
    assertEquals(50 * 8 * 4, outcome.result().bytesSaved());
    long[] ids = OrtRun.ids(12, 50);
    assertEquals(
        OrtRun.int64(outcome.in(), "ids", ids, 12),
        OrtRun.int64(outcome.out(), "ids", ids, 12),
        "bitwise equal outputs");
  }

  @Test
  void twoRunsWriteByteIdenticalFiles() throws Exception {
    Outcome first = rewrite(TestModels.embeddingAndHead(40, 6), TieForm.TRANSPOSE);
    Outcome second = rewrite(TestModels.embeddingAndHead(40, 6), TieForm.TRANSPOSE);
    assertArrayEquals(Files.readAllBytes(first.out()), Files.readAllBytes(second.out()));
  }

  @Test
  void symmetricMatrixIsAnIdenticalDuplicate() throws Exception {
    int n = 6;
    float[] sym = randomFloats(3, n * n);
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < r; c++) {
        sym[r * n + c] = sym[c * n + r];
      }
    }
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("a", sym, n, n))
            .addInitializer(floats("b", sym, n, n))
            .addInput(value("x", 1, 2, n))
            .addOutput(value("y", 1, 2, n))
            .addNode(node("MatMul", "m1", List.of("x", "a"), List.of("h")))
            .addNode(node("MatMul", "m2", List.of("h", "b"), List.of("y")))
            .build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    assertEquals(List.of("a"), initializerNames(outcome.after().getGraph()));
    assertTrue(
        nodes(outcome.after().getGraph(), "Transpose").isEmpty(),
        "no Transpose for a symmetric matrix");
    assertEquals(new Relation.Identical(), outcome.result().ties().get(0).relation());
    float[] x = randomFloats(9, 2 * n);
    assertEquals(
        OrtRun.floats(outcome.in(), "x", x, 2, n), OrtRun.floats(outcome.out(), "x", x, 2, n));
  }

  @Test
  void nearDuplicateIsNeverTied() throws Exception {
    float[] w = randomFloats(5, 64);
    float[] t = transpose(w, 8, 8);
    t[17] = Math.nextUp(t[17]);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("a", w, 8, 8))
            .addInitializer(floats("b", t, 8, 8))
            .addInput(value("x", 1, 2, 8))
            .addOutput(value("y", 1, 2, 8))
            .addNode(node("MatMul", "m1", List.of("x", "a"), List.of("h")))
            .addNode(node("MatMul", "m2", List.of("h", "b"), List.of("y")))
            .build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    assertEquals(0, outcome.result().changes());
    assertEquals(List.of("a", "b"), initializerNames(outcome.after().getGraph()));
  }

  @Test
  void rank3And4Permutations() throws Exception {
    long[] d3 = {2, 3, 4};
    long[] d4 = {2, 3, 4, 5};
    float[] a3 = randomFloats(11, 24);
    float[] a4 = randomFloats(12, 120);
    int[] p3 = {2, 0, 1};
    int[] p4 = {3, 1, 0, 2};
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("a3", a3, d3))
            .addInitializer(floats("b3", permute(a3, d3, p3), 4, 2, 3))
            .addInitializer(floats("a4", a4, d4))
            .addInitializer(floats("b4", permute(a4, d4, p4), 5, 3, 2, 4))
            .addInput(value("x", 1, 1))
            .addOutput(value("y3", 1, 4, 2, 3))
            .addOutput(value("y4", 1, 5, 3, 2, 4))
            .addOutput(value("z3", 1, 2, 3, 4))
            .addOutput(value("z4", 1, 2, 3, 4, 5))
            .addNode(node("Add", "use3", List.of("a3", "x"), List.of("z3")))
            .addNode(node("Add", "use4", List.of("a4", "x"), List.of("z4")))
            .addNode(node("Add", "add3", List.of("b3", "x"), List.of("y3")))
            .addNode(node("Add", "add4", List.of("b4", "x"), List.of("y4")))
            .build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    assertEquals(List.of("a3", "a4"), initializerNames(outcome.after().getGraph()));
    List<List<Long>> perms =
        nodes(outcome.after().getGraph(), "Transpose").stream()
            .map(n -> n.getAttribute(0).getIntsList())
            .toList();
    assertTrue(perms.contains(List.of(2L, 0L, 1L)), perms.toString());
    assertTrue(perms.contains(List.of(3L, 1L, 0L, 2L)), perms.toString());
    float[] x = {0.5f};
    assertEquals(OrtRun.floats(outcome.in(), "x", x, 1), OrtRun.floats(outcome.out(), "x", x, 1));
  }

  @Test
  void subgraphTiesCrossScopes() throws Exception {
    float[] w = randomFloats(21, 8 * 4);
    GraphProto thenBranch =
        GraphProto.newBuilder()
            .setName("then")
            .addInitializer(floats("w_t_inner", transpose(w, 8, 4), 4, 8))
            .addOutput(value("then_out", 1, 2, 8))
            .addNode(node("MatMul", "then_mm", List.of("h", "w_t_inner"), List.of("then_out")))
            .build();
    GraphProto elseBranch =
        GraphProto.newBuilder()
            .setName("else")
            .addOutput(value("else_out", 1, 2, 8))
            .addNode(node("Mul", "else_mul", List.of("h2", "two"), List.of("else_out")))
            .build();
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("w", w, 8, 4))
            .addInitializer(floats("two", new float[] {2f}))
            .addInput(value("x", 1, 2, 8))
            .addInput(value("cond", 9))
            .addOutput(value("y", 1, 2, 8))
            .addNode(node("MatMul", "enc", List.of("x", "w"), List.of("h")))
            .addNode(node("MatMul", "enc2", List.of("x", "w"), List.of("h1")))
            .addNode(
                node(
                    "Concat",
                    "widen",
                    List.of("h1", "h1"),
                    List.of("h2"),
                    AttributeProto.newBuilder()
                        .setName("axis")
                        .setType(AttributeProto.AttributeType.INT)
                        .setI(1)
                        .build()))
            .addNode(
                node(
                    "If",
                    "branch",
                    List.of("cond"),
                    List.of("y"),
                    graphAttribute("then_branch", thenBranch),
                    graphAttribute("else_branch", elseBranch)))
            .build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    TieRecord tie = outcome.result().ties().get(0);
    assertEquals("w", tie.kept());
    assertEquals("w_t_inner", tie.removed());
    assertTrue(tie.scope().contains("then_branch"), tie.scope());
    GraphProto then = nodes(outcome.after().getGraph(), "If").get(0).getAttribute(0).getG();
    assertEquals(List.of(), initializerNames(then));
    NodeProto transpose = nodes(then, "Transpose").get(0);
    assertEquals(
        List.of("w"), transpose.getInputList(), "the subgraph transposes the outer weight");
    float[] x = randomFloats(22, 16);
    for (boolean cond : new boolean[] {true, false}) {
      assertEquals(runIf(outcome.in(), x, cond), runIf(outcome.out(), x, cond));
    }
  }

  static Map<String, ByteBuffer> runIf(Path model, float[] x, boolean cond) throws Exception {
    var env = OrtEnvironment.getEnvironment();
    try (var session = env.createSession(model.toString());
        var xs = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 8});
        var cs =
            OnnxTensor.createTensor(
                env,
                ByteBuffer.wrap(new byte[] {(byte) (cond ? 1 : 0)}),
                new long[] {},
                OnnxJavaType.BOOL);
        var result = session.run(Map.of("x", xs, "cond", cs))) {
      ByteBuffer y = ((OnnxTensor) result.get(0)).getByteBuffer();
      ByteBuffer copy = ByteBuffer.allocate(y.remaining()).put(y).flip();
      return Map.of("y", copy);
    }
  }

  @Test
  void constantNodeWeightsAreTiedAndTheirNodeRemoved() throws Exception {
    float[] w = randomFloats(31, 6 * 5);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("w", w, 6, 5))
            .addInput(value("x", 1, 3, 6))
            .addOutput(value("y", 1, 3, 6))
            .addNode(
                node(
                    "Constant",
                    "const_wt",
                    List.of(),
                    List.of("wt"),
                    TestModels.tensorAttribute("value", floats("", transpose(w, 6, 5), 5, 6))))
            .addNode(node("MatMul", "enc", List.of("x", "w"), List.of("h")))
            .addNode(node("MatMul", "dec", List.of("h", "wt"), List.of("y")))
            .build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    assertTrue(
        nodes(outcome.after().getGraph(), "Constant").isEmpty(), "the Constant node is gone");
    assertEquals(1, nodes(outcome.after().getGraph(), "Transpose").size());
    float[] x = randomFloats(32, 18);
    assertEquals(
        OrtRun.floats(outcome.in(), "x", x, 3, 6), OrtRun.floats(outcome.out(), "x", x, 3, 6));
  }

  @Test
  void ir3InitializerInputsLoseTheirInputEntry() throws Exception {
    ModelProto tied = TestModels.embeddingAndHead(30, 4);
    GraphProto graph =
        tied.getGraph().toBuilder()
            .addInput(value("emb", 1, 30, 4))
            .addInput(value("onnx::MatMul_head", 1, 4, 30))
            .build();
    Outcome outcome = rewrite(model(graph, 3, 8), TieForm.TRANSPOSE);
    GraphProto after = outcome.after().getGraph();
    assertEquals(List.of("emb"), initializerNames(after));
    assertEquals(
        List.of("ids", "emb"), after.getInputList().stream().map(v -> v.getName()).toList());
    long[] ids = OrtRun.ids(5, 30);
    assertEquals(
        OrtRun.int64(outcome.in(), "ids", ids, 5), OrtRun.int64(outcome.out(), "ids", ids, 5));
  }

  @Test
  void ir4InitializerInputsAreOverridableAndLeftAlone() throws Exception {
    ModelProto tied = TestModels.embeddingAndHead(30, 4);
    GraphProto graph =
        tied.getGraph().toBuilder().addInput(value("onnx::MatMul_head", 1, 4, 30)).build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    assertEquals(0, outcome.result().changes());
  }

  @Test
  void graphOutputCopiesKeepTheirNamesThroughIdentity() throws Exception {
    float[] w = randomFloats(41, 32);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("w", w, 8, 4))
            .addInitializer(floats("wt", transpose(w, 8, 4), 4, 8))
            .addInitializer(floats("wt2", transpose(w, 8, 4), 4, 8))
            .addInput(value("x", 1, 2, 8))
            .addOutput(value("h", 1, 2, 4))
            .addOutput(value("wt", 1, 4, 8))
            .addOutput(value("wt2", 1, 4, 8))
            .addNode(node("MatMul", "enc", List.of("x", "w"), List.of("h")))
            .build();
    Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
    GraphProto after = outcome.after().getGraph();
    assertEquals(
        List.of("wt"),
        initializerNames(after),
        "wt2 and w are gone: an Identity and a Transpose of the kept output wt make them");
    assertEquals(
        List.of("h", "wt", "wt2"), after.getOutputList().stream().map(v -> v.getName()).toList());
    assertTrue(
        after.getNodeList().stream()
            .anyMatch(
                n ->
                    n.getOpType().equals("Identity")
                        && n.getInput(0).equals("wt")
                        && n.getOutput(0).equals("wt2")),
        after.getNodeList().toString());
    assertEquals(2, outcome.result().changes());
    assertTrue(outcome.result().ties().stream().allMatch(t -> t.applied()));
    float[] x = randomFloats(42, 16);
    assertEquals(
        OrtRun.floats(outcome.in(), "x", x, 2, 8),
        OrtRun.floats(outcome.out(), "x", x, 2, 8),
        "every output bitwise");
  }

  @Test
  void packedFourBitTypesArePermutedByNibble() throws Exception {
    for (DataType type : List.of(DataType.INT4, DataType.UINT4)) {
      int rows = 12;
      int cols = 15;
      byte[] nibbles = new byte[rows * cols];
      Random random = new Random(type.code());
      for (int i = 0; i < nibbles.length; i++) {
        nibbles[i] = (byte) random.nextInt(16);
      }
      byte[] t = new byte[nibbles.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          t[c * rows + r] = nibbles[r * cols + c];
        }
      }
      GraphProto graph =
          GraphProto.newBuilder()
              .addInitializer(TestModels.raw("q", type, pack(nibbles), rows, cols))
              .addInitializer(TestModels.raw("qt", type, pack(t), cols, rows))
              .addInput(value("x", 1, 1))
              .addOutput(value("y", 1, 1))
              .addNode(node("Cast", "c1", List.of("q"), List.of("qf"), intAttribute("to", 1)))
              .addNode(node("Cast", "c2", List.of("qt"), List.of("qtf"), intAttribute("to", 1)))
              .addNode(node("Identity", "id", List.of("x"), List.of("y")))
              .build();
      Outcome outcome = rewrite(model(graph, 10, 21), TieForm.TRANSPOSE);
      assertEquals(List.of("q"), initializerNames(outcome.after().getGraph()), type.toString());
      assertEquals("transpose", outcome.result().ties().get(0).relation().kind());
      // a variant with the two nibbles of one byte swapped (same values, two positions exchanged)
      // must not match
      byte[] swapped = pack(t);
      int at = 0;
      while (at < swapped.length && (swapped[at] & 0x0F) == ((swapped[at] >> 4) & 0x0F)) {
        at++;
      }
      assertTrue(at < swapped.length, "some byte holds two different nibbles");
      swapped[at] = (byte) (((swapped[at] & 0x0F) << 4) | ((swapped[at] >> 4) & 0x0F));
      assertFalse(Arrays.equals(swapped, pack(t)), "the swap changed the tensor");
      GraphProto near =
          graph.toBuilder()
              .setInitializer(1, TestModels.raw("qt", type, swapped, cols, rows))
              .build();
      assertEquals(
          0,
          rewrite(model(near, 10, 21), TieForm.TRANSPOSE).result().changes(),
          type + ": the nibble-swapped copy is no transpose");
    }
  }

  static byte[] pack(byte[] nibbles) {
    byte[] packed = new byte[(nibbles.length + 1) / 2];
    for (int i = 0; i < nibbles.length; i++) {
      packed[i / 2] |= (byte) ((nibbles[i] & 0xF) << ((i % 2) * 4));
    }
    return packed;
  }

  @Test
  void float16AndInt8Duplicates() throws Exception {
    for (DataType type :
        List.of(DataType.FLOAT16, DataType.BFLOAT16, DataType.INT8, DataType.DOUBLE)) {
      int rows = 8;
      int cols = 9;
      int width = type.byteWidth();
      byte[] a = new byte[rows * cols * width];
      new Random(type.code()).nextBytes(a);
      byte[] t = new byte[a.length];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          System.arraycopy(a, (r * cols + c) * width, t, (c * rows + r) * width, width);
        }
      }
      GraphProto graph =
          GraphProto.newBuilder()
              .addInitializer(TestModels.raw("a", type, a, rows, cols))
              .addInitializer(TestModels.raw("b", type, t, cols, rows))
              .addInitializer(TestModels.raw("c", type, a.clone(), rows, cols))
              .addInput(value("x", 1, 1))
              .addOutput(value("y", 1, 1))
              .addNode(node("Identity", "i1", List.of("a"), List.of("ya")))
              .addNode(node("Identity", "i2", List.of("b"), List.of("yb")))
              .addNode(node("Identity", "i3", List.of("c"), List.of("yc")))
              .addNode(node("Identity", "id", List.of("x"), List.of("y")))
              .build();
      Outcome outcome = rewrite(model(graph), TieForm.TRANSPOSE);
      assertEquals(List.of("a"), initializerNames(outcome.after().getGraph()), type.toString());
      assertEquals(
          List.of("transpose", "identical").stream().sorted().toList(),
          outcome.result().ties().stream().map(tie -> tie.relation().kind()).sorted().toList());
    }
  }

  @Test
  void minBytesLeavesSmallTensorsAlone() throws Exception {
    ModelProto small = TestModels.embeddingAndHead(4, 3); // 48 bytes each
    assertEquals(0, rewrite(small, TieForm.TRANSPOSE).result().changes());
  }

  @Test
  void gemmFormForRank2And3Inputs() throws Exception {
    for (int rank : new int[] {2, 3}) {
      int in = 6;
      int out = 10;
      float[] w = randomFloats(51, out * in);
      Object[] xDims = rank == 2 ? new Object[] {"batch", in} : new Object[] {"batch", "seq", in};
      Object[] yDims = rank == 2 ? new Object[] {"batch", out} : new Object[] {"batch", "seq", out};
      // w is also read (and kept) by an Identity; the MatMul reader of its transposed copy becomes
      // a Gemm
      GraphProto graph =
          GraphProto.newBuilder()
              .addInitializer(floats("w", w, out, in))
              .addInitializer(floats("onnx::MatMul_wt", transpose(w, out, in), in, out))
              .addInput(value("x", 1, xDims))
              .addOutput(value("wcopy", 1, out, in))
              .addOutput(value("y", 1, yDims))
              .addNode(node("Identity", "keep_w", List.of("w"), List.of("wcopy")))
              .addNode(node("MatMul", "dec", List.of("x", "onnx::MatMul_wt"), List.of("y")))
              .build();
      Outcome outcome = rewrite(model(graph), TieForm.GEMM);
      GraphProto after = outcome.after().getGraph();
      assertEquals(
          List.of("w"),
          initializerNames(after).stream()
              .filter(n -> n.equals("w") || n.startsWith("onnx::"))
              .toList());
      assertTrue(nodes(after, "Transpose").isEmpty(), "no transposed copy");
      assertTrue(nodes(after, "MatMul").isEmpty());
      NodeProto gemm = nodes(after, "Gemm").get(0);
      assertEquals("w", gemm.getInput(1));
      assertEquals(rank == 2 ? 0 : 2, nodes(after, "Reshape").size());
      long[] shape = rank == 2 ? new long[] {3, in} : new long[] {2, 3, in};
      float[] x = randomFloats(52, (int) (shape.length == 2 ? 3 * in : 6 * in));
      Map<String, ByteBuffer> expected = OrtRun.floats(outcome.in(), "x", x, shape);
      Map<String, ByteBuffer> actual = OrtRun.floats(outcome.out(), "x", x, shape);
      for (String name : expected.keySet()) {
        var e = expected.get(name).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        var a = actual.get(name).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        assertEquals(e.remaining(), a.remaining());
        for (int i = 0; i < e.remaining(); i++) {
          assertEquals(e.get(i), a.get(i), 1e-5f, name + "[" + i + "]");
        }
      }
    }
  }

  @Test
  void functionsAreReportedAsSkipped() throws Exception {
    ModelProto base = TestModels.embeddingAndHead(30, 4);
    ModelProto withFunction =
        base.toBuilder()
            .addFunctions(
                Onnx.FunctionProto.newBuilder()
                    .setName("f")
                    .setDomain("local")
                    .addInput("a")
                    .addOutput("b")
                    .addNode(node("Identity", "fi", List.of("a"), List.of("b")))
                    .addOpsetImport(
                        Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)))
            .build();
    Outcome outcome = rewrite(withFunction, TieForm.TRANSPOSE);
    assertEquals(1, outcome.result().changes());
    assertTrue(
        outcome.result().notes().stream().anyMatch(n -> n.contains("1 model-local functions")),
        outcome.result().notes().toString());
  }

  @Test
  void sparseInitializersAreReportedAsSkipped() throws Exception {
    ModelProto base = TestModels.embeddingAndHead(30, 4);
    // a sparse copy of nothing in particular: 4 values of a [30, 4] tensor; not a tie candidate
    float[] values = {1f, 2f, 3f, 4f};
    long[] indices = {0, 5, 17, 119};
    ByteBuffer raw = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    for (long index : indices) {
      raw.putLong(index);
    }
    ModelProto withSparse =
        base.toBuilder()
            .setGraph(
                base.getGraph().toBuilder()
                    .addSparseInitializer(
                        Onnx.SparseTensorProto.newBuilder()
                            .setValues(floats("sparse_w", values, 4))
                            .setIndices(
                                TestModels.raw("sparse_w_indices", DataType.INT64, raw.array(), 4))
                            .addDims(30)
                            .addDims(4)))
            .build();
    Outcome outcome = rewrite(withSparse, TieForm.TRANSPOSE);
    assertEquals(1, outcome.result().changes(), "the dense pair is still tied");
    assertTrue(
        outcome.result().notes().stream()
            .anyMatch(n -> n.contains("skipped 1 sparse initializers")),
        outcome.result().notes().toString());
    assertEquals(
        1,
        outcome.after().getGraph().getSparseInitializerCount(),
        "the sparse initializer is left as it is");
  }

  @Test
  void subgraphsAreCountedInTheModelWalk() {
    GraphProto body = GraphProto.newBuilder().setName("b").build();
    GraphProto graph =
        GraphProto.newBuilder()
            .addNode(
                node(
                    "If",
                    "i",
                    List.of("c"),
                    List.of(),
                    graphAttribute("then_branch", body),
                    graphAttribute("else_branch", body)))
            .build();
    List<String> paths = new ArrayList<>();
    ProtoGraphs.visit(model(graph), (path, depth, g) -> paths.add(path));
    assertEquals(List.of("main", "main/i.then_branch", "main/i.else_branch"), paths);
  }
}
