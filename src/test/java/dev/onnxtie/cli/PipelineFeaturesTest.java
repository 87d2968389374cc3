package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.onnxtie.Cli;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.VerifySettings;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export-pipeline features: library API, check gate, shared data across files, jobs, streams,
 * completion.
 */
class PipelineFeaturesTest {
  static final Path SPLIT = TestModels.samples().resolve("seq2seq_split");
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");

  @Test
  void libraryApiAloneRewritesAndVerifies(@TempDir Path dir) {
    Path out = dir.resolve("tied.onnx");
    RewriteReport report =
        OnnxTie.rewrite(GPT2, out, RewriteOptions.defaults().withVerify(VerifySettings.defaults()));
    assertEquals(256000, report.result().bytesSaved());
    assertTrue(report.verification().passed());
    OnnxChecker.check(out);
    Verification again = OnnxTie.compare(GPT2, out, VerifySettings.defaults().withRuns(2));
    assertTrue(again.passed(), again.toString());
    assertTrue(OnnxTie.check(List.of(out), 64, true, 1, Progress.NONE).passed());
    assertFalse(OnnxTie.check(List.of(GPT2), 64, true, 1, Progress.NONE).passed());
  }

  @Test
  void checkCountsCopiesAcrossFilesUntilTheyShareData(@TempDir Path dir) throws Exception {
    Cli raw = Cli.run("check", SPLIT.toString(), "--json");
    assertEquals(1, raw.code());
    JsonObject report = JsonOutput.result(raw);
    assertTrue(report.getAsJsonArray("acrossFiles").size() > 0);
    assertEquals(
        0,
        Cli.run("check", SPLIT.resolve("encoder_model.onnx").toString()).code(),
        "the encoder alone has no duplicate");
    assertEquals(
        1,
        Cli.run(
                "check",
                SPLIT.resolve("encoder_model.onnx").toString(),
                SPLIT.resolve("decoder_model.onnx").toString())
            .code());
    Cli within =
        Cli.run(
            "check",
            SPLIT.resolve("encoder_model.onnx").toString(),
            SPLIT.resolve("decoder_model.onnx").toString(),
            "--within-files",
            "--json");
    assertEquals(0, JsonOutput.result(within).getAsJsonArray("acrossFiles").size());
  }

  @Test
  void sharedDataStoresEveryDistinctTensorOnceAndEachModelVerifies(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("shared");
    FolderRewriteReport report =
        OnnxTie.rewriteFolder(
            SPLIT,
            out,
            RewriteOptions.defaults().withVerify(VerifySettings.defaults()),
            "weights.bin",
            1,
            Progress.NONE);
    System.out.printf(
        "shared data: %d bytes before, %d after%n", report.bytesBefore(), report.bytesAfter());
    assertTrue(
        report.bytesAfter() < report.bytesBefore() * 0.5,
        report.bytesBefore() + " -> " + report.bytesAfter());
    assertEquals(3, report.models().size());
    report.models().forEach(model -> assertTrue(model.verification().passed(), model.input()));
    OnnxChecker.check(out);
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(
          Set.of(
              "decoder_model.onnx",
              "decoder_with_past_model.onnx",
              "encoder_model.onnx",
              "weights.bin"),
          new HashSet<>(
              files
                  .map(p -> p.getFileName().toString())
                  .filter(name -> !name.equals(ModelIO.TEMP_PREFIX + "lock"))
                  .toList()),
          "the models, the shared data file, and at most the folder's commit lock");
    }
    // the shared embedding is stored once: all three files point at the same offset
    Set<Long> offsets = new HashSet<>();
    for (String name :
        List.of("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx")) {
      try (OnnxModel model = ModelIO.read(out.resolve(name))) {
        for (TensorProto tensor : model.proto().getGraph().getInitializerList()) {
          if (tensor.getName().equals("model.shared.weight")) {
            assertTrue(Tensors.isExternal(tensor));
            offsets.add(model.externalData().locate(tensor).offset());
          }
        }
      }
      // each model on its own in ONNX Runtime, identical to its original
      Verification alone =
          OnnxTie.compare(SPLIT.resolve(name), out.resolve(name), VerifySettings.defaults());
      assertTrue(alone.passed(), alone.toString());
      alone.runs().forEach(run -> run.outputs().forEach(o -> assertTrue(o.bitwiseIdentical())));
    }
    assertEquals(1, offsets.size(), "one copy of the shared embedding");
    assertEquals(0, Cli.run("check", out.toString()).code());
  }

  @Test
  void twoJobsWriteTheSameBytesAsOne(@TempDir Path dir) throws Exception {
    for (String[] extra : List.of(new String[0], new String[] {"--shared-data"})) {
      Path one = dir.resolve("one" + extra.length);
      Path two = dir.resolve("two" + extra.length);
      String[] base1 =
          Stream.concat(
                  Stream.of("rewrite", SPLIT.toString(), one.toString(), "--jobs", "1"),
                  Stream.of(extra))
              .toArray(String[]::new);
      String[] base2 =
          Stream.concat(
                  Stream.of("rewrite", SPLIT.toString(), two.toString(), "--jobs", "2"),
                  Stream.of(extra))
              .toArray(String[]::new);
      assertEquals(0, Cli.run(base1).code());
      assertEquals(0, Cli.run(base2).code());
      try (Stream<Path> files = Files.list(one)) {
        for (Path file : files.toList()) {
          assertArrayEquals(
              Files.readAllBytes(file),
              Files.readAllBytes(two.resolve(file.getFileName())),
              file.toString());
        }
      }
    }
  }

  @Test
  void modelsGoThroughStandardInputAndOutput() throws Exception {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        OnnxTieCli.run(
            new ByteArrayInputStream(Files.readAllBytes(GPT2)),
            stdout,
            new PrintWriter(out),
            new PrintWriter(err),
            "rewrite",
            "-",
            "-");
    assertEquals(0, code, err.toString());
    assertEquals("", out.toString(), "the report goes to stderr when the model goes to stdout");
    assertTrue(err.toString().contains("tied onnx::MatMul_393"), err.toString());
    byte[] tied = stdout.toByteArray();
    assertTrue(tied.length < Files.size(GPT2) - 250_000);
    StringWriter inspected = new StringWriter();
    assertEquals(
        0,
        OnnxTieCli.run(
            new ByteArrayInputStream(tied),
            new ByteArrayOutputStream(),
            new PrintWriter(inspected),
            new PrintWriter(new StringWriter()),
            "inspect",
            "-",
            "--json"));
    assertEquals(
        0,
        JsonParser.parseString(inspected.toString())
            .getAsJsonObject()
            .getAsJsonObject("result")
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .get("wastedBytes")
            .getAsLong());
    StringWriter refused = new StringWriter();
    assertEquals(
        2,
        OnnxTieCli.run(
            new ByteArrayInputStream(tied),
            new ByteArrayOutputStream(),
            new PrintWriter(new StringWriter()),
            new PrintWriter(refused),
            "rewrite",
            "-",
            "-",
            "--verify"));
    assertTrue(refused.toString().contains("--verify needs IN and OUT to be files"));
  }

  @Test
  void completionScriptsAndExamplesInHelp() {
    Cli bash = Cli.run("completion", "bash");
    assertEquals(0, bash.code());
    assertTrue(bash.out().contains("complete -F") && bash.out().contains("rewrite"), bash.out());
    Cli zsh = Cli.run("completion", "zsh");
    assertTrue(zsh.out().startsWith("autoload -U +X compinit"));
    assertEquals(2, Cli.run("completion", "fish").code());
    for (String command :
        List.of("inspect", "rewrite", "verify", "check", "insert", "completion")) {
      String help = Cli.run(command, "--help").out();
      assertTrue(help.contains("Examples:\n  onnx-tie " + command), command + ": " + help);
    }
  }
}
