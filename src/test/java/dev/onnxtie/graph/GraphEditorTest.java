package dev.onnxtie.graph;

import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The editor's build: stable topological sort, cycle detection, cleanup of what passes marked. */
class GraphEditorTest {
  static GraphEditor editor(GraphProto graph) {
    return new GraphEditor(new OnnxModel(TestModels.model(graph), null, null));
  }

  static List<String> names(OnnxModel model) {
    return model.proto().getGraph().getNodeList().stream().map(NodeProto::getName).toList();
  }

  @Test
  void toposortKeepsNodesAlreadyInOrder() {
    // two independent chains interleaved: a valid order that a non-stable sort would regroup
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(value("x", 1, 2))
            .addOutput(value("y", 1, 2))
            .addOutput(value("z", 1, 2))
            .addNode(node("Relu", "a1", List.of("x"), List.of("a")))
            .addNode(node("Tanh", "b1", List.of("x"), List.of("b")))
            .addNode(node("Relu", "a2", List.of("a"), List.of("y")))
            .addNode(node("Tanh", "b2", List.of("b"), List.of("z")))
            .build();
    assertEquals(List.of("a1", "b1", "a2", "b2"), names(editor(graph).build()));
  }

  @Test
  void toposortMovesOnlyWhatMustMove() {
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(value("x", 1, 2))
            .addOutput(value("y", 1, 2))
            .addOutput(value("z", 1, 2))
            .addNode(node("Relu", "late", List.of("t"), List.of("y")))
            .addNode(node("Tanh", "other", List.of("x"), List.of("z")))
            .addNode(node("Neg", "early", List.of("x"), List.of("t")))
            .build();
    assertEquals(List.of("early", "late", "other"), names(editor(graph).build()));
  }

  @Test
  void aCycleIsABugAndNamed() {
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(value("x", 1, 2))
            .addOutput(value("y", 1, 2))
            .addNode(node("Add", "first", List.of("x", "q"), List.of("p")))
            .addNode(node("Neg", "second", List.of("p"), List.of("q")))
            .addNode(node("Identity", "out", List.of("q"), List.of("y")))
            .build();
    IllegalStateException cycle =
        assertThrows(IllegalStateException.class, () -> editor(graph).build());
    assertTrue(cycle.getMessage().contains("cycle"), cycle.getMessage());
  }

  @Test
  void aMarkedNodeGoesOnlyWhenNothingReadsIt() {
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(value("x", 1, 2))
            .addOutput(value("y", 1, 2))
            .addNode(node("Transpose", "t", List.of("x"), List.of("xt")))
            .addNode(node("Identity", "reader", List.of("xt"), List.of("y")))
            .build();
    GraphEditor kept = editor(graph);
    kept.main().markRemovable("xt");
    assertEquals(List.of("t", "reader"), names(kept.build()), "still read: stays");
    GraphEditor rewired = editor(graph);
    rewired.main().rewire("xt", "x");
    rewired.main().markRemovable("xt");
    assertEquals(List.of("reader"), names(rewired.build()));
  }

  @Test
  void addedBytesCountWhatPassesAdd() {
    GraphEditor editor =
        editor(
            GraphProto.newBuilder()
                .addInput(value("x", 1, 2))
                .addOutput(value("y", 1, 2))
                .addNode(node("Identity", "i", List.of("x"), List.of("y")))
                .build());
    assertEquals(0, editor.addedBytes());
    editor.main().addNode(0, "Neg", "n", List.of("x"), List.of("unused"));
    long node = editor.addedBytes();
    assertTrue(node > 10 && node < 40, "a small node: " + node);
    editor.main().addInitializer("k", DataType.INT64, new long[] {2}, new byte[16]);
    assertTrue(editor.addedBytes() - node >= 16 + 1, "an initializer counts its bytes");
  }
}
