package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.DataType;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * verify that reads clearly (issue 19, point 5): each item as a user meets it on the command line.
 */
class VerifyReadsClearlyTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
  static final Path BERT = TestModels.samples().resolve("bert_mlm/model.onnx");
  static final Path MLP = TestModels.samples().resolve("mlp_encoder/model.onnx");

  @TempDir Path dir;

  /**
   * A folder of two models with different symbolic dims: gpt2 [batch, sequence], mlp [batch, 64].
   */
  private Path folder() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.copy(GPT2, in.resolve("gpt2.onnx"));
    Files.copy(MLP, in.resolve("mlp.onnx"));
    return in;
  }

  @Test
  void aFolderVerifyPrintsOneLinePerModelAndTheDetailsWithVerbose() throws Exception {
    Path in = folder();
    Cli plain = Cli.run("rewrite", in.toString(), dir.resolve("out").toString(), "--verify");
    assertEquals(0, plain.code(), plain.err());
    assertEquals(
        2,
        plain.out().lines().filter(line -> line.startsWith("  verified: PASSED, ")).count(),
        plain.out());
    assertTrue(
        plain.out().contains("  verified: PASSED, 1 output bitwise identical in 1 run; sessions "),
        plain.out());
    assertFalse(plain.out().contains("run 0 (seed"), "no per-run table without -v: " + plain.out());
    assertFalse(plain.out().contains("provider CPU, opt level"), plain.out());
    assertTrue(plain.out().contains("2 models"), "the folder's summary: " + plain.out());
    Cli verbose =
        Cli.run("rewrite", in.toString(), dir.resolve("out-v").toString(), "--verify", "-v");
    assertEquals(0, verbose.code(), verbose.err());
    assertEquals(
        2,
        verbose.out().lines().filter(line -> line.startsWith("run 0 (seed 42):")).count(),
        verbose.out());
    assertFalse(verbose.out().contains("  verified: PASSED"), verbose.out());
    // one file keeps its full table without -v
    Cli single =
        Cli.run("rewrite", GPT2.toString(), dir.resolve("one.onnx").toString(), "--verify");
    assertTrue(single.out().contains("run 0 (seed 42):"), single.out());
  }

  @Test
  void anInPlaceRewriteNamesTheSidesOriginalAndRewritten() throws Exception {
    Path model = Files.copy(GPT2, dir.resolve("m.onnx"));
    Cli run = Cli.run("rewrite", model.toString(), model.toString(), "--verify");
    assertEquals(0, run.code(), run.err());
    assertTrue(
        run.out().contains("PASSED: " + model + " (rewritten) against " + model + " (original)"),
        run.out());
    assertTrue(run.out().contains("session " + model + " (original): "), run.out());
    assertTrue(run.out().contains("session " + model + " (rewritten): "), run.out());
    Path again = Files.copy(GPT2, dir.resolve("j.onnx"));
    JsonObject json =
        JsonOutput.result(
            Cli.run("rewrite", again.toString(), again.toString(), "--verify", "--json"));
    JsonObject verification =
        json.getAsJsonArray("models").get(0).getAsJsonObject().getAsJsonObject("verification");
    assertEquals(again + " (original)", verification.get("a").getAsString());
    assertEquals(again + " (rewritten)", verification.get("b").getAsString());
    // to another path, the sides keep their paths
    Path other = dir.resolve("other.onnx");
    Cli apart = Cli.run("rewrite", GPT2.toString(), other.toString(), "--verify");
    assertTrue(apart.out().contains("PASSED: " + other + " against " + GPT2), apart.out());
  }

  @Test
  void aDimGivenToAFolderAppliesToTheModelsThatHaveIt() throws Exception {
    Path in = folder();
    Cli run =
        Cli.run(
            "rewrite",
            in.toString(),
            dir.resolve("out").toString(),
            "--verify",
            "--dim",
            "sequence=4",
            "--json");
    assertEquals(0, run.code(), run.out() + run.err());
    JsonObject result = JsonOutput.result(run);
    JsonObject gpt2 = null;
    JsonObject mlp = null;
    for (JsonElement model : result.getAsJsonArray("models")) {
      JsonObject report = model.getAsJsonObject();
      if (report.get("input").getAsString().endsWith("gpt2.onnx")) {
        gpt2 = report.getAsJsonObject("verification");
      } else {
        mlp = report.getAsJsonObject("verification");
      }
    }
    assertEquals(4, gpt2.getAsJsonObject("dims").get("sequence").getAsLong());
    assertFalse(mlp.getAsJsonObject("dims").has("sequence"), mlp.toString());
    Cli none =
        Cli.run(
            "rewrite",
            in.toString(),
            dir.resolve("out2").toString(),
            "--verify",
            "--dim",
            "nosuch=4");
    assertEquals(2, none.code(), none.out());
    assertEquals(1, none.errLines(), none.err());
    assertTrue(
        none.err()
            .contains(
                "dim 'nosuch' is no symbolic dim of the inputs of any of the 2 models; valid: batch, sequence"),
        none.err());
    assertFalse(Files.exists(dir.resolve("out2")), "nothing written");
    // one model: a dim it lacks is still an error
    Cli one = Cli.run("verify", MLP.toString(), MLP.toString(), "--dim", "sequence=4");
    assertEquals(2, one.code(), one.out());
  }

  /**
   * paddle2onnx names every dynamic dim {@code p2o.DynamicDimension.N}; when the default 8 fails,
   * the error is one line naming the dims with values the model runs with, and that suggestion
   * works.
   */
  @Test
  void whenTheDefaultDimsFailTheErrorNamesDimsThatRun() throws Exception {
    TensorProto shape =
        TestModels.raw(
            "shape",
            DataType.INT64,
            ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(16).array(),
            2);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("p2o")
            .addInput(TestModels.value("x", 1, "p2o.DynamicDimension.0"))
            .addOutput(TestModels.value("y", 1, "p2o.DynamicDimension.1", 16))
            .addInitializer(shape)
            .addNode(TestModels.node("Reshape", "r", List.of("x", "shape"), List.of("y")))
            .build();
    Path model = TestModels.save(TestModels.model(graph), dir.resolve("p2o.onnx"));
    Cli failed = Cli.run("verify", model.toString(), model.toString());
    assertEquals(2, failed.code(), failed.out());
    assertEquals(1, failed.errLines(), failed.err());
    String line = failed.err().strip();
    assertTrue(line.contains("model p2o.onnx fails with default dims"), line);
    String message = line.substring(line.indexOf("model p2o.onnx"));
    assertTrue(message.length() <= 200, message.length() + ": " + message);
    assertTrue(
        message.startsWith("model p2o.onnx fails with default dims p2o.DynamicDimension.0=8 ("),
        message);
    Matcher suggested = Pattern.compile("it runs with ((--dim \\S+ ?)+)$").matcher(message);
    assertTrue(suggested.find(), message);
    assertEquals("--dim p2o.DynamicDimension.0=16", suggested.group(1).strip());
    List<String> args = new ArrayList<>(List.of("verify", model.toString(), model.toString()));
    args.addAll(Arrays.asList(suggested.group(1).strip().split(" ")));
    Cli followed = Cli.run(args.toArray(String[]::new));
    assertEquals(0, followed.code(), followed.out() + followed.err());
    assertTrue(followed.out().startsWith("PASSED"), followed.out());
  }

  @Test
  void wellKnownInputsGetValidValuesUnlessARangeIsGiven() {
    JsonObject report =
        JsonOutput.result(Cli.run("verify", BERT.toString(), BERT.toString(), "--json"));
    JsonObject inputs = new JsonObject();
    report
        .getAsJsonArray("runs")
        .get(0)
        .getAsJsonObject()
        .getAsJsonArray("inputs")
        .forEach(input -> inputs.add(input.getAsJsonObject().get("name").getAsString(), input));
    JsonObject mask = inputs.getAsJsonObject("attention_mask");
    assertEquals(1.0, mask.get("low").getAsDouble(), mask.toString());
    assertTrue(mask.get("high").getAsDouble() <= 2.0, "only 1s: " + mask);
    JsonObject types = inputs.getAsJsonObject("token_type_ids");
    assertEquals(0.0, types.get("low").getAsDouble());
    assertEquals(2.0, types.get("high").getAsDouble());
    // --range overrides
    JsonObject ranged =
        JsonOutput.result(
            Cli.run(
                "verify",
                BERT.toString(),
                BERT.toString(),
                "--range",
                "attention_mask=0:2",
                "--json"));
    ranged
        .getAsJsonArray("runs")
        .get(0)
        .getAsJsonObject()
        .getAsJsonArray("inputs")
        .forEach(
            input -> {
              if (input.getAsJsonObject().get("name").getAsString().equals("attention_mask")) {
                assertEquals(
                    0.0, input.getAsJsonObject().get("low").getAsDouble(), input.toString());
              }
            });
  }

  @Test
  void noElementComparedBecauseOutputsAreMissingSaysTheyAreMissing() {
    GraphProto a =
        GraphProto.newBuilder()
            .setName("a")
            .addInput(TestModels.value("x", 1, 2))
            .addOutput(TestModels.value("y", 1, 2))
            .addNode(TestModels.node("Identity", "i", List.of("x"), List.of("y")))
            .build();
    GraphProto b =
        a.toBuilder()
            .setOutput(0, TestModels.value("z", 1, 2))
            .setNode(0, TestModels.node("Identity", "i", List.of("x"), List.of("z")))
            .build();
    Path modelA = TestModels.save(TestModels.model(a), dir.resolve("a.onnx"));
    Path modelB = TestModels.save(TestModels.model(b), dir.resolve("b.onnx"));
    Cli run = Cli.run("verify", modelA.toString(), modelB.toString(), "--json");
    assertEquals(1, run.code(), run.out());
    List<String> notes = new ArrayList<>();
    JsonOutput.result(run).getAsJsonArray("notes").forEach(note -> notes.add(note.getAsString()));
    assertTrue(
        notes.contains("no element was compared: outputs y, z are missing on one side"),
        notes.toString());
    assertFalse(notes.stream().anyMatch(note -> note.contains("is empty")), notes.toString());
  }
}
