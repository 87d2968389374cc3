package dev.onnxtie.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.cli.JsonOutput;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tie that already exists as a Transpose node (samples/dynamo_tied, as torch's dynamo exporter
 * writes it: Gather(W), Transpose(W) → MatMul): inspect names it, check can gate on it, and {@code
 * rewrite --form gemm} turns it into the Gemm form with no Transpose over W left.
 */
class DynamoTiedTest {
  static final Path MODEL = TestModels.samples().resolve("dynamo_tied").resolve("model.onnx");

  @TempDir Path dir;

  @Test
  void inspectAndCheckNameTheTransposedTie() {
    Cli inspect = Cli.run("inspect", MODEL.toString());
    assertEquals(0, inspect.code(), inspect.err());
    assertTrue(
        inspect
            .out()
            .contains(
                "model.embed_tokens.weight float[512, 128] is tied via Transpose node_transpose"),
        inspect.out());
    assertTrue(inspect.out().contains("and also read by Gather"), inspect.out());
    assertTrue(
        inspect.out().contains("ONNX Runtime will hold model.embed_tokens.weight twice"),
        inspect.out());
    assertTrue(inspect.out().contains("`rewrite --form gemm` fixes it"), inspect.out());
    Cli json = Cli.run("inspect", MODEL.toString(), "--json");
    JsonObject tie =
        JsonOutput.result(json)
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonArray("transposedTies")
            .get(0)
            .getAsJsonObject();
    assertEquals("model.embed_tokens.weight", tie.get("weight").getAsString());
    assertEquals(512 * 128 * 4, tie.get("bytes").getAsLong());
    // default unchanged: no untied duplicate, so check passes; the new option gates on the existing
    // tie
    assertEquals(0, Cli.run("check", MODEL.toString()).code());
    Cli gated = Cli.run("check", MODEL.toString(), "--transposed-ties");
    assertEquals(1, gated.code(), gated.out());
    assertTrue(gated.out().contains("rewrite --form gemm"), gated.out());
    assertTrue(
        gated
            .out()
            .contains("check failed: 1 weight tied via Transpose, held twice by ONNX Runtime"),
        gated.out());
    Cli gatedJson = Cli.run("check", MODEL.toString(), "--transposed-ties", "--json");
    assertEquals(1, gatedJson.code(), gatedJson.out());
    JsonObject check = JsonOutput.result(gatedJson);
    assertFalse(check.get("passed").getAsBoolean());
    assertTrue(check.get("transposedTiesFail").getAsBoolean());
    assertEquals(
        "model.embed_tokens.weight",
        check
            .getAsJsonObject("transposedTies")
            .getAsJsonArray(MODEL.toString())
            .get(0)
            .getAsJsonObject()
            .get("weight")
            .getAsString());
  }

  /**
   * {@code Transpose(W) -> MatMul} with no other reader of W: ONNX Runtime folds the Transpose and
   * frees W (one copy; bench/TransposedTies.java measures it), so there is no warning, {@code check
   * --transposed-ties} passes, and {@code rewrite --form gemm} leaves it as it is.
   */
  @Test
  void aSingleReaderTransposeIsHeldOnceAndGetsNoWarning() throws Exception {
    int vocab = 64;
    int hidden = 16;
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("head")
            .addInput(TestModels.value("x", 1, 2, hidden))
            .addOutput(TestModels.value("logits", 1, 2, vocab))
            .addInitializer(
                TestModels.floats("W", TestModels.randomFloats(7, vocab * hidden), vocab, hidden))
            .addNode(
                TestModels.node(
                    "Transpose",
                    "t",
                    List.of("W"),
                    List.of("Wt"),
                    TestModels.intsAttribute("perm", 1, 0)))
            .addNode(TestModels.node("MatMul", "head", List.of("x", "Wt"), List.of("logits")))
            .build();
    Path single = TestModels.save(TestModels.model(graph), dir.resolve("single.onnx"));
    Cli inspect = Cli.run("inspect", single.toString());
    assertEquals(0, inspect.code(), inspect.err());
    assertFalse(inspect.out().contains("twice"), inspect.out());
    assertFalse(inspect.out().contains("--form gemm"), inspect.out());
    Cli json = Cli.run("inspect", single.toString(), "--json");
    assertEquals(
        0,
        JsonOutput.result(json)
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonArray("transposedTies")
            .size());
    Cli gated = Cli.run("check", single.toString(), "--transposed-ties");
    assertEquals(0, gated.code(), gated.out());
    Path out = dir.resolve("gemm.onnx");
    Cli gemm = Cli.run("rewrite", single.toString(), out.toString(), "--form", "gemm");
    assertEquals(0, gemm.code(), gemm.err());
    assertTrue(
        gemm.out()
            .contains(
                "kept Transpose t: nothing else reads W, so ONNX Runtime holds it once already"),
        gemm.out());
    assertTrue(
        ModelProto.parseFrom(Files.readAllBytes(out)).getGraph().getNodeList().stream()
            .noneMatch(n -> n.getOpType().equals("Gemm")));

    // the same weight also read by a Gather: held twice again, warned about and gated
    GraphProto both =
        graph.toBuilder()
            .addInput(TestModels.value("ids", 7, 2))
            .addOutput(TestModels.value("embedded", 1, 2, hidden))
            .addNode(TestModels.node("Gather", "embed", List.of("W", "ids"), List.of("embedded")))
            .build();
    Path pair = TestModels.save(TestModels.model(both), dir.resolve("pair.onnx"));
    Cli warned = Cli.run("inspect", pair.toString());
    assertTrue(
        warned
            .out()
            .contains(
                "W float[64, 16] is tied via Transpose t (1 MatMul reader) and also read by Gather embed; "
                    + "ONNX Runtime will hold W twice"),
        warned.out());
    assertEquals(1, Cli.run("check", pair.toString(), "--transposed-ties").code());
  }

  @Test
  void gemmFormLeavesNoTransposeOverTheWeight() throws Exception {
    Path out = dir.resolve("gemm.onnx");
    Cli rewrite = Cli.run("rewrite", MODEL.toString(), out.toString(), "--form", "gemm");
    assertEquals(0, rewrite.code(), rewrite.err());
    assertTrue(
        rewrite.out().contains("Transpose of model.embed_tokens.weight is gone"), rewrite.out());
    // the Gemm form adds a Reshape pair and its shapes: a few hundred bytes more, from nodes, not
    // layout
    assertTrue(Files.size(out) > Files.size(MODEL));
    assertTrue(
        rewrite
            .out()
            .contains(
                "warning: the output is bigger than the input ("
                    + Files.size(MODEL)
                    + " -> "
                    + Files.size(out)
                    + " bytes): the nodes the rewrite added (and any change of layout: external data, alignment) take more room than the ones it removed"),
        rewrite.out());
    GraphProto graph = ModelProto.parseFrom(Files.readAllBytes(out)).getGraph();
    assertTrue(
        graph.getNodeList().stream().noneMatch(n -> n.getOpType().equals("Transpose")),
        graph.getNodeList().toString());
    assertTrue(
        graph.getValueInfoList().stream().noneMatch(v -> v.getName().equals("val_3")),
        "the Transpose's type declaration goes too");
    NodeProto gemm =
        graph.getNodeList().stream()
            .filter(n -> n.getOpType().equals("Gemm"))
            .findFirst()
            .orElseThrow();
    assertEquals("model.embed_tokens.weight", gemm.getInput(1));
    long[] ids = OrtRun.ids(12, 512);
    FloatBuffer before = floats(OrtRun.int64(MODEL, "input_ids", ids, 2, 6).get("logits"));
    FloatBuffer after = floats(OrtRun.int64(out, "input_ids", ids, 2, 6).get("logits"));
    assertEquals(before.remaining(), after.remaining());
    for (int i = 0; i < before.remaining(); i++) {
      assertEquals(before.get(i), after.get(i), 1e-5f, "logit " + i);
    }
    // the memory form is idempotent, and check --transposed-ties now passes
    Cli second =
        Cli.run(
            "rewrite",
            out.toString(),
            dir.resolve("again.onnx").toString(),
            "--form",
            "gemm",
            "--json");
    assertEquals(
        0,
        JsonOutput.result(second)
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("result")
            .get("changes")
            .getAsInt());
    assertEquals(0, Cli.run("check", out.toString(), "--transposed-ties").code());
    // the transpose form leaves the existing tie alone
    Cli plain = Cli.run("rewrite", MODEL.toString(), dir.resolve("plain.onnx").toString());
    assertTrue(plain.out().contains("nothing to tie"), plain.out());
  }

  @Test
  void ourOwnTransposeFormTakesTheGemmFormOnASecondRewrite() throws Exception {
    Path gpt2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Path transposed = dir.resolve("transposed.onnx");
    assertEquals(0, Cli.run("rewrite", gpt2.toString(), transposed.toString()).code());
    assertEquals(
        1,
        Cli.run("check", transposed.toString(), "--transposed-ties").code(),
        "our own transpose form is a Transpose tie");
    Path gemm = dir.resolve("gemm.onnx");
    Cli second = Cli.run("rewrite", transposed.toString(), gemm.toString(), "--form", "gemm");
    assertEquals(0, second.code(), second.err());
    assertTrue(
        second.out().contains("reads wte.weight through Gemm(transB=1) in 1 MatMul"), second.out());
    Cli dry =
        Cli.run(
            "rewrite",
            transposed.toString(),
            dir.resolve("dry.onnx").toString(),
            "--form",
            "gemm",
            "--dry-run",
            "--json");
    JsonObject existing =
        JsonOutput.result(dry)
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("result")
            .getAsJsonArray("ties")
            .get(0)
            .getAsJsonObject();
    assertEquals("gemm-existing", existing.get("form").getAsString());
    assertEquals("[1,0]", existing.getAsJsonObject("relation").get("perm").toString());
    GraphProto graph = ModelProto.parseFrom(Files.readAllBytes(gemm)).getGraph();
    assertTrue(
        graph.getNodeList().stream()
            .noneMatch(
                n -> n.getOpType().equals("Transpose") && n.getInput(0).equals("wte.weight")));
    long[] ids = OrtRun.ids(16, 1000);
    FloatBuffer before = floats(OrtRun.int64(gpt2, "input_ids", ids, 2, 8).get("logits"));
    FloatBuffer after = floats(OrtRun.int64(gemm, "input_ids", ids, 2, 8).get("logits"));
    for (int i = 0; i < before.remaining(); i++) {
      assertEquals(before.get(i), after.get(i), 1e-4f, "logit " + i);
    }
  }

  private static FloatBuffer floats(ByteBuffer bytes) {
    return bytes.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
