package dev.onnxtie.pass;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.randomFloats;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.TieRelation;
import dev.onnxtie.proto.Onnx;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reshape ties: readers read one shared Reshape of the kept tensor, also from a subgraph. */
class ReshapeTiesTest {
  @TempDir Path dir;

  @Test
  void aReshapedCopyInASubgraphReadsTheOuterTensorThroughAReshape() throws Exception {
    float[] w = randomFloats(30, 24);
    GraphProto thenBranch =
        GraphProto.newBuilder()
            .setName("then")
            .addInitializer(floats("flat_copy", w, 24))
            .addOutput(value("t_out", 1, 24))
            .addNode(node("Add", "t_add", List.of("flat_copy", "bias"), List.of("t_out")))
            .build();
    GraphProto elseBranch =
        GraphProto.newBuilder()
            .setName("else")
            .addOutput(value("e_out", 1, 24))
            .addNode(node("Neg", "e_neg", List.of("bias"), List.of("e_out")))
            .build();
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("emb", w, 6, 4))
            .addInitializer(floats("flat", w, 2, 12))
            .addInput(value("ids", 7, 3))
            .addInput(value("bias", 1, 24))
            .addOutput(value("e", 1, 3, 4))
            .addOutput(value("f", 1, 2, 12))
            .addOutput(value("g", 1, 24))
            .addNode(node("Gather", "embed", List.of("emb", "ids"), List.of("e")))
            .addNode(node("Identity", "read_flat", List.of("flat"), List.of("f")))
            .addNode(
                node(
                    "Constant",
                    "cond",
                    List.of(),
                    List.of("c"),
                    Onnx.AttributeProto.newBuilder()
                        .setName("value")
                        .setType(Onnx.AttributeProto.AttributeType.TENSOR)
                        .setT(TensorProto.newBuilder().setDataType(9).addInt32Data(1))
                        .build()))
            .addNode(
                node(
                    "If",
                    "branch",
                    List.of("c"),
                    List.of("g"),
                    TestModels.graphAttribute("then_branch", thenBranch),
                    TestModels.graphAttribute("else_branch", elseBranch)))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("sub.onnx"));
    Path out = dir.resolve("tied.onnx");
    RewriteReport report = OnnxTie.rewrite(in, out, RewriteOptions.defaults().withMinBytes(16));
    OnnxChecker.check(out);
    assertEquals(2, report.result().changes(), report.result().ties().toString());
    for (TieInfo tie : report.result().ties()) {
      assertEquals("emb", tie.kept(), "the Gather-read tensor stays");
      assertTrue(tie.relation() instanceof TieRelation.Reshaped, tie.toString());
      assertEquals("reshape", tie.form());
    }
    ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
    assertEquals(
        List.of("emb"),
        written.getGraph().getInitializerList().stream()
            .map(TensorProto::getName)
            .filter(n -> !n.endsWith("_shape"))
            .toList());
    GraphProto then =
        written.getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("If"))
            .findFirst()
            .orElseThrow()
            .getAttributeList()
            .stream()
            .filter(a -> a.getName().equals("then_branch"))
            .findFirst()
            .orElseThrow()
            .getG();
    NodeProto reshape =
        then.getNodeList().stream()
            .filter(n -> n.getOpType().equals("Reshape"))
            .findFirst()
            .orElseThrow();
    assertEquals("emb", reshape.getInput(0), "the branch reshapes the outer tensor");
    assertTrue(then.getInitializerList().stream().noneMatch(t -> t.getName().equals("flat_copy")));
    float[] bias = randomFloats(31, 24);
    assertEquals(run(in, bias), run(out, bias), "bitwise equal outputs");
  }

  static Map<String, ByteBuffer> run(Path model, float[] bias) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
        OnnxTensor ids =
            OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {5, 0, 2}), new long[] {3});
        OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(bias), new long[] {24});
        OrtSession.Result result = session.run(Map.of("ids", ids, "bias", b))) {
      Map<String, ByteBuffer> outputs = new TreeMap<>();
      for (var entry : result) {
        ByteBuffer bytes = ((OnnxTensor) entry.getValue()).getByteBuffer();
        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
        copy.put(bytes).flip();
        outputs.put(entry.getKey(), copy);
      }
      return outputs;
    }
  }
}
