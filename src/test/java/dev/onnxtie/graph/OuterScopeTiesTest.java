package dev.onnxtie.graph;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.graphAttribute;
import static dev.onnxtie.TestModels.intAttribute;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.transpose;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tied pair of the main graph read only inside subgraphs: the decoder of a {@code com.microsoft}
 * {@code GreedySearch} (the shape of ONNX Runtime's GPT-2 generation models) and {@code If}/{@code
 * Loop} bodies. The new {@code Transpose} output must be typed in every subgraph that reads it, or
 * ONNX Runtime Java 1.24 refuses the model ("does not have type information set by parent node").
 */
class OuterScopeTiesTest {
  static final int VOCAB = 24;
  static final int HIDDEN = 8;

  static TensorProto int64s(String name, long... values) {
    ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      raw.putLong(v);
    }
    return TestModels.raw(name, DataType.INT64, raw.array(), values.length);
  }

  /**
   * GPT-2-like decoder (1 layer, 1 head, head size 1) whose embedding {@code wte} and head {@code
   * onnx::MatMul_head} (= wteᵀ) are initializers of the main graph, declared in the decoder's
   * value_info as exporters do.
   */
  static ModelProto greedySearch() {
    float[] wte = TestModels.randomFloats(11, VOCAB * HIDDEN);
    GraphProto decoder =
        GraphProto.newBuilder()
            .setName("decoder")
            .addInput(value("input_ids", 6, "batch", "seq"))
            .addInput(value("position_ids", 6, "batch", "seq"))
            .addInput(value("attention_mask", 6, "batch", "total"))
            .addInput(value("past_0", 1, 2, "batch", 1, "past", 1))
            .addOutput(value("logits", 1, "batch", "seq", VOCAB))
            .addOutput(value("present_0", 1, 2, "batch", 1, "total", 1))
            .addValueInfo(value("wte", 1, VOCAB, HIDDEN))
            .addValueInfo(value("onnx::MatMul_head", 1, HIDDEN, VOCAB))
            .addInitializer(int64s("axes_last", -1))
            .addInitializer(int64s("axes_02", 0, 2))
            .addNode(node("Gather", "embed", List.of("wte", "input_ids"), List.of("h")))
            .addNode(node("MatMul", "head", List.of("h", "onnx::MatMul_head"), List.of("logits")))
            .addNode(
                node(
                    "ReduceSum",
                    "kv_sum",
                    List.of("h", "axes_last"),
                    List.of("kv1"),
                    intAttribute("keepdims", 1)))
            .addNode(node("Unsqueeze", "kv_unsq", List.of("kv1", "axes_02"), List.of("kv5")))
            .addNode(
                node(
                    "Concat",
                    "kv_pair",
                    List.of("kv5", "kv5"),
                    List.of("kv"),
                    intAttribute("axis", 0)))
            .addNode(
                node(
                    "Concat",
                    "present",
                    List.of("past_0", "kv"),
                    List.of("present_0"),
                    intAttribute("axis", 3)))
            .build();
    NodeProto search =
        NodeProto.newBuilder()
            .setOpType("GreedySearch")
            .setDomain("com.microsoft")
            .setName("greedy")
            .addAllInput(List.of("input_ids", "max_length"))
            .addOutput("sequences")
            .addAttribute(intAttribute("eos_token_id", VOCAB - 1))
            .addAttribute(intAttribute("pad_token_id", VOCAB - 1))
            .addAttribute(intAttribute("model_type", 0))
            .addAttribute(graphAttribute("decoder", decoder))
            .build();
    GraphProto main =
        GraphProto.newBuilder()
            .setName("generation")
            .addInitializer(floats("wte", wte, VOCAB, HIDDEN))
            .addInitializer(
                floats("onnx::MatMul_head", transpose(wte, VOCAB, HIDDEN), HIDDEN, VOCAB))
            .addInput(value("input_ids", 6, "batch", "seq"))
            .addInput(value("max_length", 6, 1))
            .addOutput(value("sequences", 6, "batch", "max_len"))
            .addNode(search)
            .build();
    return TestModels.model(main, 8, 17).toBuilder()
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
        .build();
  }

  /**
   * The same search whose embedding {@code wte} is a {@code Constant} node of the main graph, read
   * there by a Gather, while the decoder reads an identical initializer {@code onnx::Gather_dup}:
   * the decoder newly reads the Constant's output, whose type only the Constant node tells.
   */
  static ModelProto greedySearchWithConstantEmbedding() {
    ModelProto base = greedySearch();
    GraphProto main = base.getGraph();
    TensorProto wte = main.getInitializer(0);
    NodeProto search = main.getNode(0);
    GraphProto decoder =
        search.getAttribute(3).getG().toBuilder()
            .setValueInfo(0, value("onnx::Gather_dup", 1, VOCAB, HIDDEN))
            .setNode(
                0, node("Gather", "embed", List.of("onnx::Gather_dup", "input_ids"), List.of("h")))
            .build();
    GraphProto changed =
        main.toBuilder()
            .clearNode()
            .setInitializer(0, wte.toBuilder().setName("onnx::Gather_dup"))
            .addOutput(value("embedded", 1, "batch", "seq", HIDDEN))
            .addNode(
                node(
                    "Constant",
                    "wte_const",
                    List.of(),
                    List.of("wte"),
                    TestModels.tensorAttribute("value", wte)))
            .addNode(node("Gather", "embed_main", List.of("wte", "input_ids"), List.of("embedded")))
            .addNode(search.toBuilder().setAttribute(3, graphAttribute("decoder", decoder)))
            .build();
    return base.toBuilder().setGraph(changed).build();
  }

  /**
   * {@code If} branches and a {@code Loop} body that read the transposed copy from the main graph.
   */
  static ModelProto ifAndLoop() {
    float[] weight = TestModels.randomFloats(12, VOCAB * HIDDEN);
    GraphProto thenBranch =
        GraphProto.newBuilder()
            .setName("then")
            .addOutput(value("then_out", 1, "n", VOCAB))
            .addNode(
                node("MatMul", "then_head", List.of("x", "onnx::MatMul_head"), List.of("then_out")))
            .build();
    GraphProto elseBranch =
        GraphProto.newBuilder()
            .setName("else")
            .addOutput(value("else_out", 1, "n", VOCAB))
            .addNode(
                node("MatMul", "else_head", List.of("x", "onnx::MatMul_head"), List.of("else_mm")))
            .addNode(node("Neg", "else_neg", List.of("else_mm"), List.of("else_out")))
            .build();
    GraphProto body =
        GraphProto.newBuilder()
            .setName("body")
            .addInput(value("i", 7))
            .addInput(value("cond_in", 9))
            .addInput(value("acc_in", 1, "n", VOCAB))
            .addOutput(value("cond_out", 9))
            .addOutput(value("acc_out", 1, "n", VOCAB))
            .addNode(node("Identity", "keep_going", List.of("cond_in"), List.of("cond_out")))
            .addNode(
                node("MatMul", "loop_head", List.of("x", "onnx::MatMul_head"), List.of("loop_mm")))
            .addNode(node("Add", "accumulate", List.of("acc_in", "loop_mm"), List.of("acc_out")))
            .build();
    GraphProto main =
        GraphProto.newBuilder()
            .setName("control_flow")
            .addInitializer(floats("emb", weight, VOCAB, HIDDEN))
            .addInitializer(
                floats("onnx::MatMul_head", transpose(weight, VOCAB, HIDDEN), HIDDEN, VOCAB))
            .addInitializer(int64s("trips", 3).toBuilder().clearDims().build())
            .addInitializer(TestModels.raw("go", DataType.BOOL, new byte[] {1}))
            .addInitializer(floats("zeros", new float[VOCAB], 1, VOCAB))
            .addInput(value("ids", 7, "n"))
            .addInput(value("flag", 9))
            .addOutput(value("branch", 1, "n", VOCAB))
            .addOutput(value("looped", 1, "n", VOCAB))
            .addNode(node("Gather", "embed", List.of("emb", "ids"), List.of("x")))
            .addNode(
                node(
                    "If",
                    "choose",
                    List.of("flag"),
                    List.of("branch"),
                    graphAttribute("then_branch", thenBranch),
                    graphAttribute("else_branch", elseBranch)))
            .addNode(
                node(
                    "Loop",
                    "repeat",
                    List.of("trips", "go", "zeros"),
                    List.of("looped"),
                    graphAttribute("body", body)))
            .build();
    return TestModels.model(main, 8, 17);
  }

  static Map<String, ByteBuffer> runGreedy(Path model) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor ids =
            OnnxTensor.createTensor(
                env, IntBuffer.wrap(new int[] {3, 5, 7, 1, 2, 9}), new long[] {2, 3});
        OnnxTensor max =
            OnnxTensor.createTensor(env, IntBuffer.wrap(new int[] {9}), new long[] {1})) {
      return OrtRun.run(model, Map.of("input_ids", ids, "max_length", max));
    }
  }

  static Map<String, ByteBuffer> runControlFlow(Path model, boolean flag) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor ids =
            OnnxTensor.createTensor(
                env, LongBuffer.wrap(new long[] {0, 4, 23, 7}), new long[] {4});
        OnnxTensor cond = OnnxTensor.createTensor(env, flag)) {
      return OrtRun.run(model, Map.of("ids", ids, "flag", cond));
    }
  }

  /** The value_info names of the graph at the given attribute of the named main-graph node. */
  static List<String> declaredIn(ModelProto model, String nodeName, String attribute) {
    for (NodeProto node : model.getGraph().getNodeList()) {
      if (node.getName().equals(nodeName)) {
        for (AttributeProto a : node.getAttributeList()) {
          if (a.getName().equals(attribute)) {
            return a.getG().getValueInfoList().stream().map(ValueInfoProto::getName).toList();
          }
        }
      }
    }
    throw new AssertionError("no " + nodeName + "." + attribute);
  }

  static ModelProto rewriteTwice(Path in, Path out, Path again) throws Exception {
    RewriteReport first = OnnxTie.rewrite(in, out, RewriteOptions.defaults());
    assertEquals(1, first.result().changes(), "one tie");
    RewriteReport second = OnnxTie.rewrite(out, again, RewriteOptions.defaults());
    assertEquals(0, second.result().changes(), "idempotent: the second run changes nothing");
    assertArrayEquals(
        Files.readAllBytes(out),
        Files.readAllBytes(again),
        "idempotent: the second output equals the first");
    OnnxChecker.check(out);
    try (OnnxModel model = ModelIO.read(out)) {
      return model.proto();
    }
  }

  @Test
  void greedySearchDecoderReadsTheTransposeWithItsType(@TempDir Path dir) throws Exception {
    Path in = TestModels.save(greedySearch(), dir.resolve("greedy.onnx"));
    Path out = dir.resolve("greedy_tied.onnx");
    ModelProto tied = rewriteTwice(in, out, dir.resolve("again.onnx"));
    assertEquals(
        List.of("wte"),
        tied.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
    Map<String, ByteBuffer> before = runGreedy(in);
    Map<String, ByteBuffer> after = runGreedy(out);
    assertEquals(before, after, "same generated sequences");
    assertEquals(
        2 * 9 * 4, after.get("sequences").remaining(), "ORT generated [2, 9] int32 tokens");
    List<String> declared = declaredIn(tied, "greedy", "decoder");
    assertTrue(
        declared.contains("wte_transposed"),
        "the decoder declares the Transpose output: " + declared);
    assertTrue(
        !declared.contains("onnx::MatMul_head"),
        "the removed tensor's stale declaration is gone: " + declared);
  }

  @Test
  void decoderReadingAKeptConstantDeclaresItsType(@TempDir Path dir) throws Exception {
    Path in =
        TestModels.save(greedySearchWithConstantEmbedding(), dir.resolve("greedy_const.onnx"));
    Path out = dir.resolve("greedy_const_tied.onnx");
    RewriteReport report = OnnxTie.rewrite(in, out, RewriteOptions.defaults());
    assertEquals(
        2,
        report.result().changes(),
        "the copy and the transposed head are tied to the Constant: " + report.result().ties());
    OnnxChecker.check(out);
    assertEquals(runGreedy(in), runGreedy(out), "same generated sequences and embeddings");
    ModelProto tied;
    try (OnnxModel model = ModelIO.read(out)) {
      tied = model.proto();
    }
    assertEquals(
        List.of(),
        tied.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
    List<String> declared = declaredIn(tied, "greedy", "decoder");
    assertTrue(
        declared.containsAll(List.of("wte", "wte_transposed")),
        "the decoder declares what it newly reads: " + declared);
    assertTrue(
        !declared.contains("onnx::Gather_dup") && !declared.contains("onnx::MatMul_head"),
        "no stale declarations: " + declared);
  }

  @Test
  void ifAndLoopBodiesReadTheTransposeWithItsType(@TempDir Path dir) throws Exception {
    Path in = TestModels.save(ifAndLoop(), dir.resolve("flow.onnx"));
    Path out = dir.resolve("flow_tied.onnx");
    ModelProto tied = rewriteTwice(in, out, dir.resolve("again.onnx"));
    assertEquals(
        List.of("emb", "trips", "go", "zeros"),
        tied.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
    for (boolean flag : new boolean[] {true, false}) {
      assertEquals(
          runControlFlow(in, flag), runControlFlow(out, flag), "same outputs, flag " + flag);
    }
    for (String[] body :
        new String[][] {{"choose", "then_branch"}, {"choose", "else_branch"}, {"repeat", "body"}}) {
      assertTrue(
          declaredIn(tied, body[0], body[1]).contains("emb_transposed"),
          body[0] + "." + body[1] + " declares emb_transposed");
    }
  }
}
