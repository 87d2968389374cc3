package dev.onnxtie.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.TestModels;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.GraphInterface;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline checks what every pass promises: graph inputs and outputs untouched (outputs may be
 * added), initializers that are graph inputs kept, and each pass's own {@link Pass#ensures}; a
 * broken promise is an internal error (exit 3) naming the pass. Passes that keep their promises run
 * through it as they run alone.
 */
class PassPipelineTest {
  static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  @TempDir Path dir;

  /** t = Relu(x); y = MatMul(t, w), where w is an initializer and a graph input (IR 8). */
  static GraphProto graph(int xColumns, String output) {
    return GraphProto.newBuilder()
        .addInput(TestModels.value("x", FLOAT, 2, xColumns))
        .addInput(TestModels.value("w", FLOAT, 4, 4))
        .addInitializer(TestModels.floats("w", TestModels.randomFloats(1, 16), 4, 4))
        .addNode(TestModels.node("Relu", "relu", List.of("x"), List.of("t")))
        .addNode(TestModels.node("MatMul", "matmul", List.of("t", "w"), List.of(output)))
        .addOutput(TestModels.value(output, FLOAT, 2, 4))
        .build();
  }

  OnnxModel read(GraphProto graph, String name) {
    return ModelIO.read(TestModels.save(TestModels.model(graph), dir.resolve(name)));
  }

  /** A pass that does {@code edit} to the main graph and reports one change. */
  static Pass pass(String name, Consumer<Scope> edit, List<String> brokenPromises) {
    return new Pass() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public boolean idempotent() {
        return false;
      }

      @Override
      public PassResult apply(GraphEditor editor) {
        edit.accept(editor.main());
        return new PassResult(name, 1, List.of(), List.of());
      }

      @Override
      public List<String> ensures(GraphEditor editor, PassResult result) {
        return brokenPromises;
      }
    };
  }

  @Test
  void aPassThatDropsAnOverridableInitializerIsAnInternalErrorNamingIt() {
    try (OnnxModel model = read(graph(4, "y"), "m.onnx")) {
      GraphEditor editor = new GraphEditor(model);
      PassPipeline pipeline =
          PassPipeline.of(pass("drop-default", scope -> scope.markRemovable("w"), List.of()));
      OnnxTieException e = assertThrows(OnnxTieException.class, () -> pipeline.run(editor));
      assertEquals(OnnxTieException.INTERNAL, e.exitCode());
      assertTrue(
          e.getMessage().contains("the pass drop-default broke its promise"), e.getMessage());
      assertTrue(e.getMessage().contains("initializer 'w' is a graph input"), e.getMessage());
    }
  }

  @Test
  void aPassThatBreaksItsOwnPromiseIsAnInternalError() {
    try (OnnxModel model = read(graph(4, "y"), "m.onnx")) {
      PassPipeline pipeline =
          PassPipeline.of(pass("liar", scope -> {}, List.of("the tied tensor 'w' is still read")));
      OnnxTieException e =
          assertThrows(OnnxTieException.class, () -> pipeline.run(new GraphEditor(model)));
      assertEquals(OnnxTieException.INTERNAL, e.exitCode());
      assertTrue(
          e.getMessage()
              .contains("the pass liar broke its promise (the tied tensor 'w' is still read)"),
          e.getMessage());
    }
  }

  @Test
  void addingAnOutputKeepsThePromise() {
    try (OnnxModel model = read(graph(4, "y"), "m.onnx")) {
      GraphEditor editor = new GraphEditor(model);
      PassResult result =
          PassPipeline.of(pass("add-output", scope -> scope.addOutput("t", FLOAT, null), List.of()))
              .run(editor);
      assertEquals(1, result.changes());
      assertEquals(List.of("y", "t"), editor.main().outputNames());
    }
  }

  @Test
  void theInterfaceNamesRetypedInputsAndRenamedOutputs() {
    try (OnnxModel before = read(graph(4, "y"), "a.onnx");
        OnnxModel after = read(graph(5, "z"), "b.onnx")) {
      List<String> changes =
          GraphInterface.of(new GraphEditor(before)).changesIn(new GraphEditor(after));
      assertEquals(
          List.of(
              "graph 'main': inputs [x, w] became [x, w] (types changed)",
              "graph 'main': outputs [y] became [z]"),
          changes);
      assertEquals(
          List.of(), GraphInterface.of(new GraphEditor(before)).changesIn(new GraphEditor(before)));
    }
  }

  @Test
  void aPassFoundByNameWithoutItsArgumentsIsRefusedBeforeItRuns() {
    try (OnnxModel model = read(graph(4, "y"), "m.onnx")) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  Passes.run(
                      new GraphEditor(model),
                      List.of("insert-tied-decoder"),
                      new Passes.Config(TieForm.TRANSPOSE, 64)));
      assertTrue(e.getMessage().contains("insert-tied-decoder needs"), e.getMessage());
    }
  }

  @Test
  void theRewritePipelineGivesWhatItsPassesGiveAlone() {
    for (Path sample : PassesTest.MODELS) {
      for (TieForm form : TieForm.values()) {
        try (OnnxModel model = ModelIO.read(sample)) {
          GraphEditor piped = new GraphEditor(model);
          PassResult viaPipeline = Passes.rewrite(new TieWeights.Arguments(form, 64)).run(piped);
          GraphEditor alone = new GraphEditor(model);
          PassResult first = new TieWeights(form, 64).apply(alone);
          int changes = first.changes();
          if (form == TieForm.GEMM) {
            changes += new GemmForTransposedWeights().apply(alone).changes();
          }
          assertEquals(changes, viaPipeline.changes(), sample + " " + form);
          assertEquals(alone.build().proto(), piped.build().proto(), sample + " " + form);
        }
      }
    }
  }
}
