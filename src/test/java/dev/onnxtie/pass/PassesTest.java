package dev.onnxtie.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every registered pass, found by name; every idempotent pass run twice changes nothing the second
 * time.
 */
class PassesTest {
  static final List<Path> MODELS =
      List.of(
          TestModels.samples().resolve("gpt2_tied/model.onnx"),
          TestModels.samples().resolve("tied_autoencoder/model.onnx"),
          TestModels.samples().resolve("dynamo_tied/model.onnx"),
          TestModels.samples().resolve("quantized_head/scales1d_zp.onnx"),
          TestModels.samples().resolve("quantized_head/scales2d_nozp.onnx"));

  @Test
  void everyIdempotentPassChangesNothingTheSecondTime() {
    int checked = 0;
    for (String name : Passes.names()) {
      for (TieForm form : TieForm.values()) {
        Passes.Config config = new Passes.Config(form, 64);
        if (!Passes.byName(name, config).idempotent()) {
          continue;
        }
        for (Path model : MODELS) {
          try (OnnxModel read = ModelIO.read(model)) {
            GraphEditor first = new GraphEditor(read);
            Passes.byName(name, config).apply(first);
            OnnxModel once = first.build();
            GraphEditor second = new GraphEditor(once);
            PassResult again = Passes.byName(name, config).apply(second);
            assertEquals(0, again.changes(), name + " " + form + " on " + model);
            assertEquals(once.proto(), second.build().proto(), name + " " + form + " on " + model);
            checked++;
          }
        }
      }
    }
    assertEquals(
        2 * 2 * MODELS.size(),
        checked,
        "tie-weights and gemm-for-transposed-weights, both forms, every model");
  }

  @Test
  void passesAreFoundByName() {
    assertEquals(
        List.of("tie-weights", "gemm-for-transposed-weights", "insert-tied-decoder"),
        Passes.names());
    assertEquals(List.of("tie-weights"), Passes.forRewrite(TieForm.TRANSPOSE));
    assertEquals(
        List.of("tie-weights", "gemm-for-transposed-weights"), Passes.forRewrite(TieForm.GEMM));
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> Passes.byName("fold", new Passes.Config(TieForm.GEMM, 64)));
    assertTrue(unknown.getMessage().contains("valid: tie-weights"), unknown.getMessage());
    assertTrue(
        !Passes.byName("insert-tied-decoder", new Passes.Config(TieForm.GEMM, 64)).idempotent());
  }
}
