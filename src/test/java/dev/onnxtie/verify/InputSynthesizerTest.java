package dev.onnxtie.verify;

import static dev.onnxtie.TestModels.graphAttribute;
import static dev.onnxtie.TestModels.intAttribute;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.verify.InputSynthesizer.InputSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Range inference, default shapes and seeded values. */
class InputSynthesizerTest {
  @TempDir Path temp;

  @Test
  void gpt2InputIdsIndexTheVocabulary() {
    try (OnnxModel model = ModelIO.read(VerifyModels.SAMPLES.resolve("gpt2_tied/model.onnx"))) {
      Map<String, long[]> ranges = InputSynthesizer.inferRanges(model);
      assertEquals(List.of("input_ids"), List.copyOf(ranges.keySet()));
      assertArrayEquals(new long[] {0, 1000}, ranges.get("input_ids"));
    }
  }

  @Test
  void floatInputsGetNoInferredRange() {
    try (OnnxModel model =
        ModelIO.read(VerifyModels.SAMPLES.resolve("tied_autoencoder/model.onnx"))) {
      assertTrue(InputSynthesizer.inferRanges(model).isEmpty());
    }
  }

  /**
   * ids (int32) reaches a Gather on a [50, 4] table through Cast and Unsqueeze inside an If branch,
   * and a Gather on a [30, 4] table directly in the other branch: the bound is the smaller, 30.
   * other (int64) reaches a Gather only through Add, which may change values: no bound.
   */
  @Test
  void followsValuePreservingOpsIntoSubgraphsAndKeepsTheSmallestBound() {
    GraphProto thenBranch =
        GraphProto.newBuilder()
            .setName("then")
            .addNode(
                node(
                    "Cast",
                    List.of("ids"),
                    List.of("ids64"),
                    intAttribute("to", DataType.INT64.code())))
            .addNode(node("Unsqueeze", List.of("ids64", "axes"), List.of("ids2d")))
            .addNode(node("Gather", List.of("big", "ids2d"), List.of("picked")))
            .addNode(node("ReduceSum", List.of("picked"), List.of("out_then")))
            .addOutput(value("out_then", DataType.FLOAT))
            .build();
    GraphProto elseBranch =
        GraphProto.newBuilder()
            .setName("else")
            .addNode(node("Gather", List.of("small", "ids"), List.of("picked_small")))
            .addNode(node("ReduceSum", List.of("picked_small"), List.of("out_else")))
            .addOutput(value("out_else", DataType.FLOAT))
            .build();
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("main")
            .addInput(value("ids", DataType.INT32, "n"))
            .addInput(value("other", DataType.INT64, "n"))
            .addInput(value("cond", DataType.BOOL))
            .addInitializer(zeros("big", 50, 4))
            .addInitializer(zeros("small", 30, 4))
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("axes")
                    .setDataType(DataType.INT64.code())
                    .addDims(1)
                    .addInt64Data(0))
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("one")
                    .setDataType(DataType.INT64.code())
                    .addInt64Data(1))
            .addNode(
                node(
                    "If",
                    List.of("cond"),
                    List.of("y"),
                    graphAttribute("then_branch", thenBranch),
                    graphAttribute("else_branch", elseBranch)))
            .addNode(node("Add", List.of("other", "one"), List.of("shifted")))
            .addNode(node("Gather", List.of("small", "shifted"), List.of("z")))
            .addOutput(value("y", DataType.FLOAT))
            .addOutput(value("z", DataType.FLOAT, "n", 4L))
            .build();
    Path file = TestModels.save(TestModels.model(graph), temp.resolve("gathers.onnx"));
    try (OnnxModel model = ModelIO.read(file)) {
      Map<String, long[]> ranges = InputSynthesizer.inferRanges(model);
      assertEquals(List.of("ids"), List.copyOf(ranges.keySet()));
      assertArrayEquals(new long[] {0, 30}, ranges.get("ids"));
    }
  }

  private static TensorProto zeros(String name, long rows, long cols) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(DataType.FLOAT.code())
            .addDims(rows)
            .addDims(cols);
    for (int i = 0; i < rows * cols; i++) {
      tensor.addFloatData(0);
    }
    return tensor.build();
  }

  @Test
  void symbolicDimsGetDefaultsConsistentlyAndExplicitValuesWin() {
    InputSpec input =
        new InputSpec("x", value("x", DataType.FLOAT, "batch_size", "seq", 5L, null).getType());
    Map<String, Long> bound = new HashMap<>();
    assertArrayEquals(
        new long[] {
          InputSynthesizer.BATCH_DIM, InputSynthesizer.OTHER_DIM, 5, InputSynthesizer.OTHER_DIM
        },
        InputSynthesizer.shapeOf(input, Map.of(), bound));
    assertEquals(Map.of("batch_size", 2L, "seq", 8L), bound);
    InputSpec other = new InputSpec("m", value("m", DataType.INT64, "batch_size", "seq").getType());
    assertArrayEquals(
        new long[] {3, 8}, InputSynthesizer.shapeOf(other, Map.of("batch_size", 3L), bound));
    InputSpec unknownRank =
        new InputSpec(
            "u",
            Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(1))
                .build());
    assertArrayEquals(
        new long[] {InputSynthesizer.OTHER_DIM},
        InputSynthesizer.shapeOf(unknownRank, Map.of(), new HashMap<>()));
  }

  @Test
  void valuesAreSeededAndStayInRange() {
    long[] shape = {4, 16};
    HostTensor first =
        InputSynthesizer.synthesize(
            "ids", DataType.INT64, shape, new long[] {0, 1000}, new Random(42));
    HostTensor again =
        InputSynthesizer.synthesize(
            "ids", DataType.INT64, shape, new long[] {0, 1000}, new Random(42));
    HostTensor other =
        InputSynthesizer.synthesize(
            "ids", DataType.INT64, shape, new long[] {0, 1000}, new Random(43));
    assertTrue(first.sameBits(again));
    assertTrue(!first.sameBits(other));
    for (int i = 0; i < first.elements(); i++) {
      assertTrue(first.integer(i) >= 0 && first.integer(i) < 1000);
    }
    HostTensor clipped =
        InputSynthesizer.synthesize(
            "b", DataType.INT8, shape, new long[] {100, 1000}, new Random(1));
    for (int i = 0; i < clipped.elements(); i++) {
      assertTrue(
          clipped.integer(i) >= 100 && clipped.integer(i) <= 127,
          "int8 value " + clipped.integer(i));
    }
    HostTensor halves =
        InputSynthesizer.synthesize(
            "h", DataType.FLOAT16, shape, InputSynthesizer.DEFAULT_FLOAT_RANGE, new Random(1));
    for (int i = 0; i < halves.elements(); i++) {
      assertTrue(halves.scalar(i) >= -1 && halves.scalar(i) <= 1);
    }
    assertNotEquals(halves.scalar(0), halves.scalar(1));
    assertThrows(
        OnnxTieException.class,
        () ->
            InputSynthesizer.synthesize(
                "u", DataType.UINT8, shape, new long[] {-10, -1}, new Random(1)));
    assertThrows(
        OnnxTieException.class,
        () ->
            InputSynthesizer.synthesize(
                "c", DataType.COMPLEX64, shape, new long[] {0, 1}, new Random(1)));
  }

  @Test
  void floatInputsTakeFractionalRangesAndIntegersOnlyWholeOnes() {
    long[] shape = {4, 16};
    HostTensor floats =
        InputSynthesizer.synthesize(
            "t", DataType.FLOAT, shape, ValueRange.parse("0.25:0.75"), new Random(7));
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (int i = 0; i < floats.elements(); i++) {
      min = Math.min(min, floats.scalar(i));
      max = Math.max(max, floats.scalar(i));
    }
    assertTrue(min >= 0.25 && max < 0.75, "values in [" + min + ", " + max + "]");
    assertTrue(
        max - min > 0.25,
        "values spread over the range, not one value: [" + min + ", " + max + "]");
    HostTensor fixed =
        InputSynthesizer.synthesize(
            "p", DataType.DOUBLE, shape, ValueRange.parse("1.5:1.5"), new Random(7));
    for (int i = 0; i < fixed.elements(); i++) {
      assertEquals(1.5, fixed.scalar(i));
    }
    HostTensor ids =
        InputSynthesizer.synthesize(
            "ids", DataType.INT64, shape, ValueRange.parse("3:5.0"), new Random(7));
    for (int i = 0; i < ids.elements(); i++) {
      assertTrue(ids.integer(i) == 3 || ids.integer(i) == 4, "int64 value " + ids.integer(i));
    }
    OnnxTieException fractional =
        assertThrows(
            OnnxTieException.class,
            () ->
                InputSynthesizer.synthesize(
                    "ids", DataType.INT64, shape, ValueRange.parse("0.5:3"), new Random(7)));
    assertTrue(fractional.getMessage().contains("whole numbers"), fractional.getMessage());
    ValueRange huge = ValueRange.parse("9223372036854775806:9223372036854775807");
    assertEquals(
        9223372036854775806L,
        InputSynthesizer.synthesize("big", DataType.INT64, new long[] {1}, huge, new Random(7))
            .integer(0));
    assertThrows(IllegalArgumentException.class, () -> ValueRange.parse("2:1"));
    assertThrows(IllegalArgumentException.class, () -> ValueRange.parse("a:1"));
  }
}
