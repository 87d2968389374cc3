package dev.onnxtie.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.TestModels;
import dev.onnxtie.graph.Attribute;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.OuterScopeTiesTestAccess;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An edit whose result breaks a rule its input kept is an internal error (exit 3). */
class OutputValidatorTest {
  /** A main-graph pair read only in the body of a contrib operator (the GreedySearch decoder). */
  static ModelProto contribBody() {
    return OuterScopeTiesTestAccess.greedySearch();
  }

  @Test
  void anUntypedOuterReadInAContribBodyIsAnInternalError(@TempDir Path dir) {
    try (OnnxModel model = ModelIO.read(TestModels.save(contribBody(), dir.resolve("m.onnx")))) {
      GraphEditor editor = new GraphEditor(model);
      Scope main = editor.main();
      Scope decoder = editor.scopes().get(1);
      // a Transpose in the main graph whose output type nobody declares, read in the decoder
      main.addNode(
          0,
          "Transpose",
          "t",
          List.of("wte"),
          List.of("untyped"),
          Attribute.ofInts("perm", List.of(1L, 0L)));
      decoder.rewire("onnx::MatMul_head", "untyped");
      OnnxTieException e = assertThrows(OnnxTieException.class, editor::build);
      assertEquals(OnnxTieException.INTERNAL, e.exitCode());
      assertTrue(
          e.getMessage()
              .contains(
                  "reads 'untyped' of an enclosing graph, whose type this graph does not declare"),
          e.getMessage());
    }
  }

  @Test
  void aTypedOuterReadIsDeclaredInTheBody(@TempDir Path dir) {
    try (OnnxModel model = ModelIO.read(TestModels.save(contribBody(), dir.resolve("m.onnx")))) {
      GraphEditor editor = new GraphEditor(model);
      editor
          .main()
          .addNode(
              0,
              "Transpose",
              "t",
              List.of("wte"),
              List.of("typed"),
              Attribute.ofInts("perm", List.of(1L, 0L)));
      editor.main().declare("typed", 1, List.of(8L, 24L));
      editor.scopes().get(1).rewire("onnx::MatMul_head", "typed");
      ModelProto built = editor.build().proto();
      GraphProto decoder = built.getGraph().getNode(1).getAttribute(3).getG();
      assertTrue(
          decoder.getValueInfoList().stream().anyMatch(v -> v.getName().equals("typed")),
          decoder.getValueInfoList().toString());
    }
  }

  @Test
  void aReadBeforeItsDefinitionIsAnInternalError(@TempDir Path dir) {
    ModelProto input = TestModels.embeddingAndHead(20, 4);
    GraphProto.Builder swapped = input.getGraph().toBuilder();
    NodeProto first = swapped.getNode(0);
    swapped.setNode(0, swapped.getNode(1)).setNode(1, first);
    try (OnnxModel in = ModelIO.read(TestModels.save(input, dir.resolve("m.onnx")))) {
      OnnxTieException e =
          assertThrows(
              OnnxTieException.class,
              () ->
                  OutputValidator.validate(
                      in, in.withProto(input.toBuilder().setGraph(swapped).build())));
      assertEquals(OnnxTieException.INTERNAL, e.exitCode());
      assertTrue(
          e.getMessage().contains("node head reads 'h' before it is defined"), e.getMessage());
      // the same order in the input is not the edit's doing
      OutputValidator.validate(
          in.withProto(input.toBuilder().setGraph(swapped).build()),
          in.withProto(input.toBuilder().setGraph(swapped).build()));
    }
  }

  @Test
  void aTensorTheEditAddsIsValidatedEvenThoughTheInputsAreNotCheckedAgain(@TempDir Path dir) {
    ModelProto input = TestModels.embeddingAndHead(20, 4);
    try (OnnxModel in = ModelIO.read(TestModels.save(input, dir.resolve("m.onnx")))) {
      // the input's own tensors, carried over as the same objects, pass without a second check
      OutputValidator.validate(in, in.withProto(input.toBuilder().build()));
      // a new tensor whose raw_data disagrees with its dims is the edit's doing
      TensorProto broken =
          TensorProto.newBuilder()
              .setName("broken")
              .setDataType(1)
              .addDims(3)
              .setRawData(ByteString.copyFrom(new byte[8]))
              .build();
      GraphProto.Builder graph = input.getGraph().toBuilder().addInitializer(broken);
      OnnxTieException e =
          assertThrows(
              OnnxTieException.class,
              () ->
                  OutputValidator.validate(
                      in, in.withProto(input.toBuilder().setGraph(graph).build())));
      assertEquals(OnnxTieException.INTERNAL, e.exitCode());
      assertTrue(
          e.getMessage()
              .contains(
                  "tensor 'broken' has 8 bytes of raw_data but its dims [3] and dtype float need 12"),
          e.getMessage());
    }
  }
}
