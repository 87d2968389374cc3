package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real CLI, driven in-process. */
class CliTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");

  @Test
  void helpListsExitCodesAndExamples() {
    Cli result = Cli.run("--help");
    assertEquals(0, result.code());
    assertTrue(result.out().contains("2  bad input or usage"), result.out());
    for (String command : List.of("inspect", "rewrite", "check")) {
      Cli help = Cli.run(command, "--help");
      assertEquals(0, help.code());
      assertTrue(help.out().contains("Examples:"), command);
    }
  }

  @Test
  void usageErrorsAreOneLineWithExitCode2() {
    for (String[] args :
        List.of(
            new String[] {"rewrite"},
            new String[] {"inspect", "--bogus", "x"},
            new String[] {"frobnicate"},
            new String[] {"rewrite", GPT2.toString(), "/tmp/x.onnx", "--form", "diagonal"})) {
      Cli result = Cli.run(args);
      assertEquals(2, result.code(), String.join(" ", args));
      assertEquals(
          1,
          result.err().lines().filter(line -> line.startsWith("onnx-tie:")).count(),
          result.err());
    }
    assertTrue(
        Cli.run("rewrite", GPT2.toString(), "/tmp/x.onnx", "--form", "diagonal")
            .err()
            .contains("valid: transpose, gemm"));
  }

  @Test
  void inspectJsonListsTheTransposedHead() {
    Cli result = Cli.run("inspect", GPT2.toString(), "--json");
    assertEquals(0, result.code(), result.err());
    JsonObject report = JsonOutput.result(result).getAsJsonArray("models").get(0).getAsJsonObject();
    assertEquals(7, report.get("irVersion").getAsLong());
    JsonObject group = report.getAsJsonArray("duplicates").get(0).getAsJsonObject();
    assertEquals("wte.weight", group.get("kept").getAsString());
    JsonObject member = group.getAsJsonArray("members").get(0).getAsJsonObject();
    assertEquals("transpose", member.getAsJsonObject("relation").get("kind").getAsString());
    assertEquals("[1,0]", member.getAsJsonObject("relation").get("perm").toString());
    assertEquals(256000, member.get("bytes").getAsLong());
    // on disk: the 256,000 bytes of the copy less the 110 bytes of the Transpose node and
    // declaration the rewrite adds
    assertEquals(255890, report.get("wastedBytes").getAsLong());
    assertEquals(
        report.get("bytesBefore").getAsLong() - report.get("bytesAfter").getAsLong(),
        report.get("wastedBytes").getAsLong());
    assertEquals(
        "input_ids",
        report.getAsJsonArray("inputs").get(0).getAsJsonObject().get("name").getAsString());
  }

  @Test
  void checkFailsOnTheExportAndPassesOnItsRewrite(@TempDir Path dir) {
    Cli untied = Cli.run("check", GPT2.toString());
    assertEquals(1, untied.code(), untied.out());
    assertTrue(untied.out().contains("onnx::MatMul_393"), untied.out());
    Path out = dir.resolve("tied.onnx");
    assertEquals(0, Cli.run("rewrite", GPT2.toString(), out.toString()).code());
    Cli tied = Cli.run("check", out.toString());
    assertEquals(0, tied.code(), tied.out());
    Cli json = Cli.run("check", GPT2.toString(), "--json");
    assertFalse(JsonOutput.result(json).get("passed").getAsBoolean());
  }

  @Test
  void dryRunWritesNothing(@TempDir Path dir) {
    Path out = dir.resolve("out.onnx");
    Cli result = Cli.run("rewrite", GPT2.toString(), out.toString(), "--dry-run", "--json");
    assertEquals(0, result.code(), result.err());
    assertFalse(Files.exists(out));
    JsonObject report = JsonOutput.result(result).getAsJsonArray("models").get(0).getAsJsonObject();
    assertEquals(1, report.getAsJsonObject("result").get("changes").getAsInt());
    assertTrue(report.get("dryRun").getAsBoolean());
    assertTrue(report.get("bytesAfter").isJsonNull(), "a dry run writes no bytes: " + report);
    JsonObject tie =
        report.getAsJsonObject("result").getAsJsonArray("ties").get(0).getAsJsonObject();
    assertFalse(tie.get("applied").getAsBoolean(), "a dry run applies nothing");
    assertEquals("would tie", tie.get("outcome").getAsString());
    Cli text = Cli.run("rewrite", GPT2.toString(), out.toString(), "--dry-run");
    assertTrue(text.out().contains("would tie onnx::MatMul_393"), text.out());
    assertTrue(text.out().contains("(1 reader, "), text.out());
  }

  @Test
  void rewriteInPlaceAndTwice(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("model.onnx");
    Files.copy(GPT2, model);
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    byte[] once = Files.readAllBytes(model);
    assertTrue(once.length < Files.size(GPT2) - 250_000);
    Cli again = Cli.run("rewrite", model.toString(), model.toString());
    assertEquals(0, again.code());
    assertTrue(again.out().contains("nothing to tie"), again.out());
    assertArrayEquals(once, Files.readAllBytes(model), "a second rewrite changes nothing");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(model), files.toList(), "no temporary files left");
    }
  }

  @Test
  void rewritesAFolder(@TempDir Path dir) {
    Path in = TestModels.samples().resolve("seq2seq_split");
    Path out = dir.resolve("tied");
    Cli result = Cli.run("rewrite", in.toString(), out.toString(), "--json");
    assertEquals(0, result.code(), result.err());
    for (String name :
        List.of("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx")) {
      assertTrue(Files.isRegularFile(out.resolve(name)), name);
    }
    assertEquals(3, JsonOutput.result(result).getAsJsonArray("models").size());
    assertEquals(
        0, Cli.run("check", out.toString(), "--within-files").code(), "tied inside each file");
    assertEquals(
        1, Cli.run("check", out.toString()).code(), "the embedding is still held by each file");
  }

  @Test
  void badFilesAreOneLineErrors(@TempDir Path dir) throws Exception {
    Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
    Path garbage =
        Files.write(
            dir.resolve("garbage.onnx"), new byte[] {(byte) 0xff, 0x13, 0x37, 0x00, 0x42, 0x7f});
    byte[] whole = Files.readAllBytes(GPT2);
    Path truncated =
        Files.write(dir.resolve("truncated.onnx"), Arrays.copyOf(whole, whole.length / 2));
    for (Path bad : List.of(empty, garbage, truncated, dir.resolve("missing.onnx"))) {
      Cli result = Cli.run("rewrite", bad.toString(), dir.resolve("out.onnx").toString());
      assertEquals(2, result.code(), bad + ": " + result.err());
      assertEquals(1, result.errLines(), result.err());
      assertFalse(Files.exists(dir.resolve("out.onnx")));
    }
  }

  @Test
  void writingToADeviceStreamsIntoIt() {
    Path devNull = Path.of("/dev/null");
    Cli result = Cli.run("rewrite", GPT2.toString(), devNull.toString());
    assertEquals(0, result.code(), result.err());
    assertFalse(Files.isRegularFile(devNull), "/dev/null is still a device");
  }
}
