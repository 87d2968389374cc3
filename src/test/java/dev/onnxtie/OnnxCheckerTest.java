package dev.onnxtie;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker the end-to-end tests trust: it leaves the files it checks alone, and it still fails
 * on a bad model.
 */
class OnnxCheckerTest {
  /**
   * Relu -> Relu with no value_info for the middle tensor: what shape inference would add to the
   * file.
   */
  private static GraphProto twoRelus(int outputType) {
    return GraphProto.newBuilder()
        .setName("g")
        .addNode(TestModels.node("Relu", "r1", List.of("x"), List.of("h")))
        .addNode(TestModels.node("Relu", "r2", List.of("h"), List.of("y")))
        .addInput(TestModels.value("x", TensorProto.DataType.FLOAT_VALUE, 2L))
        .addOutput(TestModels.value("y", outputType, 2L))
        .build();
  }

  @Test
  void checkingAModelLeavesItsFileAsItWas(@TempDir Path dir) throws Exception {
    Path model =
        TestModels.save(
            TestModels.model(twoRelus(TensorProto.DataType.FLOAT_VALUE), 8, 13),
            dir.resolve("m.onnx"));
    byte[] before = Files.readAllBytes(model);
    OnnxChecker.check(model);
    // onnx 1.12's check_model(path, full_check=True) wrote the shape-inferred model back (75 -> 92
    // bytes here)
    assertArrayEquals(before, Files.readAllBytes(model));
  }

  @Test
  void aModelWhoseOutputTypeContradictsItsNodesFails(@TempDir Path dir) {
    Path model =
        TestModels.save(
            TestModels.model(twoRelus(TensorProto.DataType.INT64_VALUE), 8, 13),
            dir.resolve("m.onnx"));
    assertThrows(AssertionError.class, () -> OnnxChecker.check(model));
  }
}
