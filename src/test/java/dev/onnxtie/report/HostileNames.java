package dev.onnxtie.report;

import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.util.List;

/** A model whose tied tensors, nodes and values have names that would be markup if not escaped. */
final class HostileNames {
  static final String A = "<script>alert(1)</script>";
  static final String B = "\"><img src=x onerror=alert(1)>&amp;'";
  static final String NODE = "</svg></figure><b onmouseover=alert(1)>\u0007\u202e";

  private HostileNames() {}

  /** y = (x · A) · B where B is A transposed: one tie, between the two hostile names. */
  static ModelProto model() {
    float[] weight = TestModels.randomFloats(3, 4 * 3);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("hostile")
            .addInitializer(TestModels.floats(A, weight, 4, 3))
            .addInitializer(TestModels.floats(B, TestModels.transpose(weight, 4, 3), 3, 4))
            .addInput(TestModels.value("x", 1, 1, 4))
            .addOutput(TestModels.value("y<2>", 1, 1, 4))
            .addNode(TestModels.node("MatMul", NODE, List.of("x", A), List.of("y&1")))
            .addNode(TestModels.node("MatMul", "second", List.of("y&1", B), List.of("y<2>")))
            .build();
    return TestModels.model(graph);
  }
}
