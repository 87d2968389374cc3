package dev.onnxtie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rewrite DIR OUT} on folders shaped like real exports: models, config, tokenizer,
 * sub-folders.
 */
class FolderRewriteTest {
  static final Path SPLIT = TestModels.samples().resolve("seq2seq_split");
  static final List<String> OTHERS =
      List.of(
          "config.json", "generation_config.json", "tokenizer.json", "onnx/README.md", "big.bin");

  @TempDir Path dir;

  /**
   * The seq2seq sample as an export folder: its three models and the files a loader needs beside
   * them.
   */
  Path exportFolder() throws Exception {
    Path exported = Files.createDirectories(dir.resolve("exported"));
    try (Stream<Path> models = Files.list(SPLIT)) {
      for (Path model : models.toList()) {
        Files.copy(model, exported.resolve(model.getFileName()));
      }
    }
    Files.writeString(exported.resolve("config.json"), "{\"model_type\": \"t5\"}\n");
    Files.writeString(exported.resolve("generation_config.json"), "{\"max_length\": 20}\n");
    Files.writeString(exported.resolve("tokenizer.json"), "{\"version\": \"1.0\"}\n");
    Files.createDirectories(exported.resolve("onnx"));
    Files.writeString(exported.resolve("onnx/README.md"), "sub-folder\n");
    byte[] big = new byte[3 << 20];
    new Random(1).nextBytes(big);
    Files.write(exported.resolve("big.bin"), big); // large enough for the reflink path
    Files.createSymbolicLink(
        exported.resolve("secret"),
        Files.writeString(dir.resolve("outside.txt"), "not for upload"));
    return exported;
  }

  @Test
  void everyOtherFileIsCopiedByteForByteAndLinksAreNotFollowed() throws Exception {
    Path exported = exportFolder();
    for (String[] extra : List.of(new String[0], new String[] {"--shared-data"})) {
      Path out = dir.resolve("tied" + extra.length);
      Cli result =
          Cli.run(
              Stream.concat(
                      Stream.of("rewrite", exported.toString(), out.toString(), "--verify"),
                      Stream.of(extra))
                  .toArray(String[]::new));
      assertEquals(0, result.code(), result.err());
      for (String other : OTHERS) {
        assertArrayEquals(
            Files.readAllBytes(exported.resolve(other)),
            Files.readAllBytes(out.resolve(other)),
            other);
        assertNotEquals(
            Files.getAttribute(exported.resolve(other), "unix:ino"),
            Files.getAttribute(out.resolve(other), "unix:ino"),
            other + " is a copy, not a hard link");
      }
      assertFalse(
          Files.exists(out.resolve("secret"), LinkOption.NOFOLLOW_LINKS),
          "a symbolic link is not followed");
      assertTrue(
          result
              .out()
              .contains(
                  "copied 5 other files byte for byte: big.bin, config.json, generation_config.json, onnx/README.md, tokenizer.json"),
          result.out());
      assertTrue(
          result.out().contains("note: not copied: secret is a symbolic link"), result.out());
      assertEquals(
          0,
          (extra.length == 0
                  ? Cli.run("check", out.toString(), "--within-files")
                  : Cli.run("check", out.toString()))
              .code(),
          "the output folder is tied");
      try (Stream<Path> beside = Files.list(dir)) {
        assertTrue(
            beside.noneMatch(path -> path.getFileName().toString().startsWith(".onnx-tie")),
            "no staging folder left beside the output");
      }
      // the report names the output folder's files, never the staging folder's
      assertFalse(result.out().contains(".onnx-tie-folder-"), result.out());
    }
  }

  @Test
  void aFailingModelLeavesNoNewOutputFolderAndNamesWhatAnExistingOneKept() throws Exception {
    Path exported = exportFolder();
    // sorts after the good models; reads and ties fine, but ONNX Runtime cannot run it
    TestModels.save(withUnknownOperator(), exported.resolve("z_custom_op.onnx"));
    Path out = dir.resolve("tied");
    String before = TestModels.digest(exported);
    Cli fresh = Cli.run("rewrite", exported.toString(), out.toString(), "--verify");
    assertNotEquals(0, fresh.code(), fresh.out());
    assertFalse(Files.exists(out), "all or nothing: no output folder");
    try (Stream<Path> beside = Files.list(dir)) {
      assertTrue(
          beside.noneMatch(path -> path.getFileName().toString().startsWith(".onnx-tie")),
          "no staging folder left");
    }
    assertEquals(before, TestModels.digest(exported), "the input is unchanged");

    Files.createDirectories(out);
    Cli existing = Cli.run("rewrite", exported.toString(), out.toString(), "--verify");
    assertNotEquals(0, existing.code());
    assertTrue(
        existing
            .err()
            .contains(
                "already rewritten and kept in "
                    + out
                    + ": decoder_model.onnx, decoder_with_past_model.onnx, encoder_model.onnx (each verified)"),
        existing.err());
    assertFalse(Files.exists(out.resolve("config.json")), "nothing else copied after the failure");
  }

  /**
   * A new output folder's models are written straight under their names, each claiming its names:
   * two models that would both write the one data file {@code --external-data=w.data} names are
   * refused whichever writes first and however many work at once (before, with {@code --jobs 2} the
   * second took {@code w.1.data}, and a write straight into the folder could have renamed over the
   * other's file); nothing is written.
   */
  @Test
  void oneExplicitDataFileForTwoModelsIsRefusedWhateverTheJobs() throws Exception {
    Path in = Files.createDirectories(dir.resolve("two"));
    Path gpt2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Files.copy(gpt2, in.resolve("a.onnx"));
    Files.copy(gpt2, in.resolve("b.onnx"));
    Path out = dir.resolve("two-tied");
    for (String jobs : List.of("1", "2", "2", "2", "2", "2")) {
      Cli run =
          Cli.run(
              "rewrite", in.toString(), out.toString(), "--external-data=w.data", "--jobs", jobs);
      assertEquals(2, run.code(), "--jobs " + jobs + ": " + run.out() + run.err());
      // one error line, after the note that such models are written one at a time
      assertEquals(1, run.err().lines().filter(line -> !line.contains("note:")).count(), run.err());
      assertTrue(run.err().contains("the data file name w.data is taken"), run.err());
      // the folder named is the output, not the hidden one it was built in (gone by now)
      assertTrue(run.err().contains(out.toString()), run.err());
      assertFalse(run.err().contains(".onnx-tie-folder-"), run.err());
      assertFalse(Files.exists(out), "--jobs " + jobs + ": an output folder");
      try (Stream<Path> beside = Files.list(dir)) {
        assertTrue(
            beside.noneMatch(path -> path.getFileName().toString().startsWith(".onnx-tie")),
            "--jobs " + jobs + ": a staging folder left");
      }
    }
    // one model per data file name is fine
    Files.delete(in.resolve("b.onnx"));
    Cli one =
        Cli.run("rewrite", in.toString(), out.toString(), "--external-data=w.data", "--jobs", "2");
    assertEquals(0, one.code(), one.err());
    assertTrue(Files.exists(out.resolve("w.data")));
  }

  /**
   * The data file name is taken only by a model that reads it: a model whose tensors all stay in
   * its file (all below --size-threshold: the Keras sample) leaves an empty one that the next
   * model's data replaces, as one after the other, whatever --jobs says; the outputs read and
   * check.
   */
  @Test
  void anExplicitDataFileNameNoModelReadsIsNotTaken() throws Exception {
    Path in = Files.createDirectories(dir.resolve("mix"));
    Files.copy(
        TestModels.samples().resolve("keras_encoder/model.onnx"), in.resolve("a_small.onnx"));
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), in.resolve("b_big.onnx"));
    for (String jobs : List.of("1", "2", "2", "2")) {
      Path out = dir.resolve("mix-tied-" + jobs + "-" + System.nanoTime());
      Cli run =
          Cli.run(
              "rewrite", in.toString(), out.toString(), "--external-data=w.bin", "--jobs", jobs);
      assertEquals(0, run.code(), "--jobs " + jobs + ": " + run.err());
      assertTrue(Files.size(out.resolve("w.bin")) > 0, "the big model's data");
      Cli check = Cli.run("check", out.toString(), "--within-files");
      assertEquals(0, check.code(), check.out() + check.err());
    }
  }

  /**
   * A file beside the input models that has the name a rewritten model's data file takes in the
   * output (a stray {@code a.onnx.data} the input model does not read) is not copied over it: the
   * output model reads its own data, into a new folder and into an existing one.
   */
  @Test
  void aStrayFileNamedLikeAModelsNewDataFileIsNotCopiedOverIt() throws Exception {
    Path in = Files.createDirectories(dir.resolve("stray"));
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), in.resolve("a.onnx"));
    Files.writeString(in.resolve("a.onnx.data"), "not data");
    Files.writeString(in.resolve("config.json"), "{}");
    Path out = dir.resolve("stray-tied");
    for (int run = 0; run < 2; run++) {
      Cli rewrite = Cli.run("rewrite", in.toString(), out.toString(), "--external-data");
      assertEquals(0, rewrite.code(), rewrite.err());
      assertTrue(rewrite.out().contains("not copied: a.onnx.data"), rewrite.out());
      assertTrue(Files.size(out.resolve("a.onnx.data")) > 100_000, "the model's own data");
      assertTrue(Files.exists(out.resolve("config.json")));
      Cli check = Cli.run("check", out.resolve("a.onnx").toString());
      assertEquals(0, check.code(), check.out() + check.err());
    }
  }

  /**
   * The same rewrite with an explicit data file name, run again (a pipeline step re-run): the name
   * only the model being replaced reads is not taken; the second run leaves the same files, byte
   * for byte, for a file and for a folder (before, the second run was refused with exit 2).
   */
  @Test
  void theSameRewriteWithAnExplicitDataFileNameRunsAgain() throws Exception {
    Path gpt2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Path in = Files.createDirectories(dir.resolve("again"));
    Files.copy(gpt2, in.resolve("a.onnx"));
    Path fileOut = Files.createDirectories(dir.resolve("again-file")).resolve("out.onnx");
    Path folderOut = dir.resolve("again-folder");
    List<List<String>> commands =
        List.of(
            List.of("rewrite", gpt2.toString(), fileOut.toString(), "--external-data=w.data"),
            List.of("rewrite", in.toString(), folderOut.toString(), "--external-data=w.data"));
    for (List<String> command : commands) {
      Path folder = command.get(2).equals(fileOut.toString()) ? fileOut.getParent() : folderOut;
      Cli first = Cli.run(command.toArray(String[]::new));
      assertEquals(0, first.code(), first.err());
      String written = TestModels.digest(folder);
      Cli again = Cli.run(command.toArray(String[]::new));
      assertEquals(0, again.code(), again.err());
      assertEquals(written, TestModels.digest(folder), "the second run changed the files");
      try (Stream<Path> files = Files.list(folder)) {
        assertEquals(
            List.of("w.data"),
            files
                .map(file -> file.getFileName().toString())
                .filter(name -> !name.endsWith(".onnx"))
                .sorted()
                .toList());
      }
    }
  }

  /** onnx-tie's own lock and staging names are no data file names: refused in one line. */
  @Test
  void aDataFileNameOnnxTieUsesForItselfIsRefused() throws Exception {
    Path in = Files.createDirectories(dir.resolve("lock"));
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), in.resolve("a.onnx"));
    for (String name : List.of(".lock", ".onnx-tie-tmp-lock", ".onnx-tie-folder-x")) {
      Path out = dir.resolve("lock-tied");
      Cli run = Cli.run("rewrite", in.toString(), out.toString(), "--external-data=" + name);
      assertEquals(2, run.code(), name + ": " + run.out());
      assertEquals(1, run.err().lines().count(), run.err());
      assertTrue(run.err().contains("onnx-tie uses for its own"), run.err());
      assertFalse(Files.exists(out));
    }
  }

  @Test
  void checkOfAFolderWithCopiesAcrossFilesNamesTheSharedDataFix() {
    Cli check = Cli.run("check", SPLIT.toString());
    assertEquals(1, check.code());
    // the samples are this repository's: the fix writes into the current folder, not beside them
    assertTrue(
        check
            .out()
            .contains("fix: onnx-tie rewrite " + SPLIT + " seq2seq_split-tied --shared-data"),
        check.out());
    assertTrue(
        check.out().contains("model.shared.weight [700, 32] is a copy of model.shared.weight in "),
        check.out());
    assertTrue(
        check
            .out()
            .contains(
                "onnx::MatMul_368 [32, 700] is transpose [1, 0] of model.shared.weight, wasting 89600 bytes"),
        check.out());
    Path gpt2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Cli single = Cli.run("check", gpt2.toString());
    assertTrue(
        single.out().contains("fix: onnx-tie rewrite " + gpt2 + " model-tied.onnx"), single.out());
  }

  static ModelProto withUnknownOperator() {
    ModelProto tied = TestModels.embeddingAndHead(16, 8);
    GraphProto graph =
        tied.getGraph().toBuilder()
            .setNode(
                1,
                TestModels.node(
                    "MatMul", "head", List.of("h", "onnx::MatMul_head"), List.of("scores")))
            .addNode(
                TestModels.node("Frobnicate", "custom", List.of("scores"), List.of("logits"))
                    .toBuilder()
                    .setDomain("com.example")
                    .build())
            .build();
    return tied.toBuilder()
        .setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(1))
        .build();
  }
}
