package dev.onnxtie.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.OnnxChecker;
import dev.onnxtie.OrtRun;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.TieRelation;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The 4-bit tied LM head of onnxruntime-genai / Olive exports (samples/quantized_head, made by
 * make_models.py: RTN 4-bit, block 32): the MatMulNBits head's weight, scales and zero points are
 * the GatherBlockQuantized embedding's bytes in another shape; the rewrite removes all three and
 * ONNX Runtime gives bitwise the same logits.
 */
class QuantizedHeadTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "scales2d_zp.onnx",
        "scales2d_nozp.onnx",
        "scales1d_zp.onnx",
        "scales1d_nozp.onnx"
      })
  void headReadsTheEmbeddingsTensors(String file) throws Exception {
    Path in = TestModels.samples().resolve("quantized_head").resolve(file);
    Path out = dir.resolve(file);
    RewriteReport report = OnnxTie.rewrite(in, out, RewriteOptions.defaults());
    OnnxChecker.check(out);
    boolean zeroPoints = file.contains("_zp");
    GraphProto graph = ModelProto.parseFrom(Files.readAllBytes(out)).getGraph();
    List<String> initializers =
        graph.getInitializerList().stream()
            .map(TensorProto::getName)
            .filter(n -> !n.endsWith("_shape"))
            .toList();
    List<String> embedding =
        zeroPoints
            ? List.of(
                "model.embed_tokens.qweight",
                "model.embed_tokens.scales",
                "model.embed_tokens.qzeros")
            : List.of("model.embed_tokens.qweight", "model.embed_tokens.scales");
    assertEquals(
        Set.copyOf(embedding), Set.copyOf(initializers), "only the embedding's tensors stay");
    assertEquals(zeroPoints ? 3 : 2, report.result().changes());
    for (TieInfo tie : report.result().ties()) {
      assertTrue(tie.kept().startsWith("model.embed_tokens."), tie.toString());
      if (tie.removed().endsWith("weight_Q4")) {
        assertEquals(new TieRelation.Reshaped(List.of(512L, 4L, 16L)), tie.relation());
        assertEquals("reshape", tie.form());
      } else {
        // MatMulNBits takes scales and zero points in either layout: read the kept tensor as it is
        assertEquals("rewire", tie.form(), tie.toString());
        assertEquals(
            file.startsWith("scales1d") ? "reshape" : "identical",
            tie.relation().kind(),
            tie.toString());
      }
    }
    NodeProto head =
        graph.getNodeList().stream()
            .filter(n -> n.getOpType().equals("MatMulNBits"))
            .findFirst()
            .orElseThrow();
    NodeProto reshape =
        graph.getNodeList().stream()
            .filter(n -> n.getOpType().equals("Reshape"))
            .findFirst()
            .orElseThrow();
    assertEquals(List.of("model.embed_tokens.qweight"), reshape.getInputList().subList(0, 1));
    assertEquals(reshape.getOutput(0), head.getInput(1));
    assertEquals("model.embed_tokens.scales", head.getInput(2));
    if (zeroPoints) {
      assertEquals("model.embed_tokens.qzeros", head.getInput(3));
    }
    long[] ids = OrtRun.ids(12, 512);
    Map<String, ByteBuffer> before = OrtRun.int64(in, "input_ids", ids, 2, 6);
    Map<String, ByteBuffer> after = OrtRun.int64(out, "input_ids", ids, 2, 6);
    assertEquals(before, after, "bitwise equal logits");
    assertFalse(
        before.get("logits").equals(ByteBuffer.allocate(before.get("logits").remaining())),
        "logits are not all zero");
    long saved = report.result().bytesSaved();
    assertEquals(
        report.bytesBefore() - report.bytesAfter(),
        saved - report.result().ties().stream().mapToLong(TieInfo::addedBytes).sum(),
        200,
        "the file shrinks by the removed bytes less what the Reshape costs");
    System.out.println(
        "quantized head "
            + file
            + ": "
            + report.bytesBefore()
            + " -> "
            + report.bytesAfter()
            + " bytes, "
            + saved
            + " tensor bytes removed");
  }
}
