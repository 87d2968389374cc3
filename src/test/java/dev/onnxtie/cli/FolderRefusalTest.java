package dev.onnxtie.cli;

import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.ModelValidator;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder with models the tool cannot read (an IR version newer than it knows, a truncated file):
 * inspect and check name each with its reason and still report the duplicates of the others (exit 2
 * at the end); rewrite names every one of them before writing anything.
 */
class FolderRefusalTest {
  @TempDir Path dir;

  /** A model with a float weight and an exact copy of it (256 bytes wasted). */
  static ModelProto withCopy(String weight, long ir) {
    float[] w = TestModels.randomFloats(weight.hashCode(), 64);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(TestModels.floats(weight, w, 64))
            .addInitializer(TestModels.floats(weight + "_copy", w, 64))
            .addInput(value("x", 1, 64))
            .addNode(node("Add", "a1", List.of("x", weight), List.of("y1")))
            .addNode(node("Add", "a2", List.of("x", weight + "_copy"), List.of("y2")))
            .addOutput(value("y1", 1, 64))
            .addOutput(value("y2", 1, 64))
            .build();
    return TestModels.model(graph, ir, 17);
  }

  /** a.onnx and d.onnx with copies, b.onnx of IR newest + 1, c.onnx truncated. */
  Path folder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("exported"));
    TestModels.save(withCopy("wa", 8), folder.resolve("a.onnx"));
    TestModels.save(withCopy("wb", ModelValidator.NEWEST_IR_VERSION + 1), folder.resolve("b.onnx"));
    byte[] whole = withCopy("wc", 8).toByteArray();
    Files.write(folder.resolve("c.onnx"), Arrays.copyOf(whole, whole.length / 2));
    TestModels.save(withCopy("wd", 8), folder.resolve("d.onnx"));
    return folder;
  }

  static List<String> refusedNames(JsonObject result) {
    List<String> names = new ArrayList<>();
    for (JsonElement element : result.getAsJsonArray("refused")) {
      JsonObject refused = element.getAsJsonObject();
      assertFalse(refused.get("reason").getAsString().isBlank());
      names.add(Path.of(refused.get("path").getAsString()).getFileName().toString());
    }
    return names;
  }

  @Test
  void inspectAndCheckNameEachRefusedFileAndStillReportTheOthers() throws Exception {
    Path folder = folder();
    String tooNew =
        "ir_version "
            + (ModelValidator.NEWEST_IR_VERSION + 1)
            + " is newer than the newest this tool knows";

    Cli inspect = Cli.run("inspect", folder.toString());
    assertEquals(2, inspect.code(), inspect.err());
    assertTrue(
        inspect.out().contains("duplicates of wa float[64]:")
            && inspect.out().contains("duplicates of wd float[64]:"),
        inspect.out());
    assertTrue(
        inspect
            .out()
            .lines()
            .anyMatch(
                line ->
                    line.startsWith(folder.resolve("b.onnx") + ": refused: ")
                        && line.contains(tooNew)),
        inspect.out());
    assertTrue(
        inspect
            .out()
            .lines()
            .anyMatch(line -> line.startsWith(folder.resolve("c.onnx") + ": refused: ")),
        inspect.out());
    assertEquals(1, inspect.errLines(), inspect.err());
    assertTrue(
        inspect
            .err()
            .contains(
                "2 models of 4 refused ("
                    + folder.resolve("b.onnx")
                    + ", "
                    + folder.resolve("c.onnx")
                    + ")"),
        inspect.err());

    Cli inspectJson = Cli.run("inspect", folder.toString(), "--json");
    assertEquals(2, inspectJson.code());
    JsonObject envelope = JsonOutput.envelope(inspectJson);
    assertEquals("error", envelope.get("status").getAsString());
    JsonObject inspected = envelope.getAsJsonObject("result");
    assertEquals(List.of("b.onnx", "c.onnx"), refusedNames(inspected));
    JsonArray models = inspected.getAsJsonArray("models");
    assertEquals(2, models.size());
    long inspectedWaste = 0;
    for (JsonElement model : models) {
      // one plan: the waste is what the rewrite removes on disk (the 256-byte copy and its
      // initializer's entry)
      JsonObject report = model.getAsJsonObject();
      long wasted = report.get("wastedBytes").getAsLong();
      assertEquals(
          report.get("bytesBefore").getAsLong() - report.get("bytesAfter").getAsLong(),
          wasted,
          model.toString());
      assertTrue(wasted >= 256 && wasted < 256 + 64, model.toString());
      inspectedWaste += wasted;
    }

    Cli check = Cli.run("check", folder.toString());
    assertEquals(2, check.code(), check.out() + check.err());
    assertTrue(
        check
            .out()
            .contains(
                folder.resolve("a.onnx") + ": wa_copy [64] is a copy of wa, wasting 256 bytes"),
        check.out());
    assertTrue(
        check
            .out()
            .contains(
                folder.resolve("d.onnx") + ": wd_copy [64] is a copy of wd, wasting 256 bytes"),
        check.out());
    assertTrue(
        check.out().contains(folder.resolve("b.onnx") + ": refused: ")
            && check.out().contains(folder.resolve("c.onnx") + ": refused: "),
        check.out());
    Cli checkJson = Cli.run("check", folder.toString(), "--json");
    JsonObject checked = JsonOutput.result(checkJson);
    assertEquals(List.of("b.onnx", "c.onnx"), refusedNames(checked));
    assertEquals(
        inspectedWaste,
        checked.get("wastedBytes").getAsLong(),
        "check counts what inspect counts of the readable files");
    assertEquals(
        checked.get("bytesBefore").getAsLong() - checked.get("bytesAfter").getAsLong(),
        checked.get("wastedBytes").getAsLong());
    assertEquals(2, checked.getAsJsonObject("withinFiles").size());

    // with --allow-newer-ir the IR-too-new file is read (and its copy reported); the truncated one
    // stays refused
    Cli allowed = Cli.run("check", folder.toString(), "--allow-newer-ir", "--json");
    assertEquals(2, allowed.code(), allowed.err());
    JsonObject allowedResult = JsonOutput.result(allowed);
    assertEquals(List.of("c.onnx"), refusedNames(allowedResult));
    long allowedWaste = allowedResult.get("wastedBytes").getAsLong();
    assertEquals(
        allowedResult.get("bytesBefore").getAsLong() - allowedResult.get("bytesAfter").getAsLong(),
        allowedWaste);
    assertTrue(
        allowedWaste - inspectedWaste >= 256 && allowedWaste - inspectedWaste < 256 + 64,
        "b.onnx's copy is counted: " + allowedWaste);

    // every file readable: exit 1 (duplicates) as before, refused empty
    Files.delete(folder.resolve("b.onnx"));
    Files.delete(folder.resolve("c.onnx"));
    Cli clean = Cli.run("check", folder.toString(), "--json");
    assertEquals(1, clean.code(), clean.err());
    assertEquals(List.of(), refusedNames(JsonOutput.result(clean)));
  }

  @Test
  void rewriteOfAFolderNamesEveryRefusedFileBeforeWritingAnything() throws Exception {
    Path folder = folder();
    String digest = TestModels.digest(folder);
    Path out = dir.resolve("tied");
    for (String[] extra :
        List.of(new String[0], new String[] {"--shared-data"}, new String[] {"--dry-run"})) {
      List<String> args = new ArrayList<>(List.of("rewrite", folder.toString(), out.toString()));
      args.addAll(List.of(extra));
      Cli rewrite = Cli.run(args.toArray(String[]::new));
      assertEquals(2, rewrite.code(), rewrite.err());
      assertEquals(1, rewrite.errLines(), rewrite.err());
      assertTrue(
          rewrite
                  .err()
                  .contains(
                      "2 of 4 models of " + folder + " refused, nothing was written: b.onnx (")
              && rewrite.err().contains("; c.onnx ("),
          rewrite.err());
      assertFalse(Files.exists(out), "nothing written");
      assertEquals(digest, TestModels.digest(folder), "the input folder is unchanged");
    }
    // in place: nothing of the folder changes either
    Cli inPlace = Cli.run("rewrite", folder.toString(), folder.toString());
    assertEquals(2, inPlace.code());
    assertEquals(digest, TestModels.digest(folder));
  }
}
