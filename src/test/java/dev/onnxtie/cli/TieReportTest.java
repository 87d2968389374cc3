package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one tie record as text and as JSON: relations, the kept name, the growth warning. */
class TieReportTest {
  @TempDir Path dir;

  @Test
  void aTieThatGrowsTheFileSaysSo() {
    Cli small =
        Cli.run(
            "rewrite",
            TestModels.samples().resolve("tied_autoencoder/model.onnx").toString(),
            dir.resolve("ae.onnx").toString());
    assertEquals(0, small.code(), small.err());
    assertTrue(
        small.out().contains("tied onnx::MatMul_11 [5, 5] = transpose [1, 0] of enc.weight"),
        small.out());
    assertTrue(small.out().contains("warning: this tie makes the file bigger"), small.out());
    assertTrue(
        small.out().contains("warning: the output is bigger than the input (946 -> "), small.out());
    Cli large =
        Cli.run(
            "rewrite",
            TestModels.samples().resolve("gpt2_tied/model.onnx").toString(),
            dir.resolve("gpt2.onnx").toString());
    assertFalse(large.out().contains("warning"), large.out());
  }

  @Test
  void relationsAreObjectsInJson() {
    Cli json =
        Cli.run(
            "rewrite",
            TestModels.samples().resolve("quantized_head/scales1d_zp.onnx").toString(),
            dir.resolve("q.onnx").toString(),
            "--json");
    assertEquals(0, json.code(), json.err());
    JsonArray ties =
        JsonOutput.result(json)
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("result")
            .getAsJsonArray("ties");
    assertEquals(3, ties.size());
    for (var element : ties) {
      JsonObject tie = element.getAsJsonObject();
      JsonObject relation = tie.getAsJsonObject("relation");
      assertEquals("reshape", relation.get("kind").getAsString(), tie.toString());
      assertEquals(
          tie.get("shape"), relation.get("shape"), "a reshape names the removed tensor's shape");
      assertTrue(tie.get("addedBytes").getAsLong() >= 0);
    }
    Cli text =
        Cli.run(
            "rewrite",
            TestModels.samples().resolve("quantized_head/scales1d_zp.onnx").toString(),
            dir.resolve("q2.onnx").toString(),
            "--dry-run");
    assertTrue(
        text.out()
            .contains(
                "would tie lm_head.MatMul.weight_Q4 [512, 4, 16] = reshape to [512, 4, 16] of model.embed_tokens.qweight"),
        text.out());
  }
}
