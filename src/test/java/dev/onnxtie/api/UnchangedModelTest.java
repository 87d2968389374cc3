package dev.onnxtie.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.onnxtie.BackendData;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rewrite that ties nothing (most models of a folder) takes the model as read for its output: no
 * rebuild and no second validation of the same graph. What a rebuild would still change is kept: a
 * graph whose nodes are out of order is sorted, as before.
 */
class UnchangedModelTest {
  @TempDir Path dir;

  @Test
  void aModelWithNothingToTieIsItsOwnOutputByteForByte() throws Exception {
    // real models of ONNX's backend suite: one with a subgraph (Loop), one plain
    for (String name :
        List.of("node/test_range_float_type_positive_delta_expanded", "node/test_abs")) {
      Path in = BackendData.suite().resolve(name).resolve("model.onnx");
      try (OnnxModel model = ModelIO.read(in)) {
        OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, RewriteOptions.defaults());
        assertSame(model, rewritten.model(), name + ": rebuilt though nothing changed");
        assertEquals(0, rewritten.result().ties().size());
      }
      Path out = dir.resolve(name.replace('/', '_') + ".onnx");
      OnnxTie.rewrite(in, out, RewriteOptions.defaults());
      assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out), name);
    }
  }

  @Test
  void aModelWithATieIsRebuilt() {
    try (OnnxModel model = ModelIO.read(TestModels.samples().resolve("gpt2_tied/model.onnx"))) {
      OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, RewriteOptions.defaults());
      assertNotSame(model, rewritten.model());
      assertEquals(1, rewritten.result().ties().size());
    }
  }

  @Test
  void nodesOutOfOrderAreStillSortedWhenNothingIsTied() {
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(TestModels.value("x", 1, 1, 2))
            .addOutput(TestModels.value("y", 1, 1, 2))
            .addOutput(TestModels.value("z", 1, 1, 2))
            .addNode(TestModels.node("Relu", "late", List.of("t"), List.of("y")))
            .addNode(TestModels.node("Tanh", "other", List.of("x"), List.of("z")))
            .addNode(TestModels.node("Neg", "early", List.of("x"), List.of("t")))
            .build();
    OnnxModel model = new OnnxModel(TestModels.model(graph), null, null);
    OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, RewriteOptions.defaults());
    assertEquals(0, rewritten.result().ties().size());
    assertEquals(
        List.of("early", "late", "other"),
        rewritten.model().proto().getGraph().getNodeList().stream()
            .map(NodeProto::getName)
            .toList());
  }
}
