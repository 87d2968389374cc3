package dev.onnxtie.cli;

import static dev.onnxtie.TestModels.model;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.raw;
import static dev.onnxtie.TestModels.save;
import static dev.onnxtie.TestModels.tensorAttribute;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.onnxtie.BackendData;
import dev.onnxtie.Cli;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.TestModels;
import dev.onnxtie.ThirdPartyModels;
import dev.onnxtie.model.DataType;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Advice that converges (issue 19): over every model and folder of the corpus (samples/, a
 * selection of ONNX's backend suite, the third-party langchain4j exports), check, run exactly the
 * command of its {@code fix:} line, and check again: the second check passes. The waste the first
 * check reports is the measured saving of that command, byte for byte, and a suggested command
 * never makes the files bigger.
 */
class ConvergenceTest {
  @TempDir Path temp;

  /**
   * check -> the suggested fix -> check, on a copy of one file or folder; returns the first check's
   * JSON result.
   */
  private JsonObject converges(Path target, String... options) throws IOException {
    Cli first = Cli.run(checkArgs(target, options));
    JsonObject report = JsonOutput.result(Cli.run(checkArgs(target, options, "--json")));
    assertEquals(first.code() == 0, report.get("passed").getAsBoolean(), first.out());
    // inspect says the same as check: one plan behind both (inspect knows no --transposed-ties,
    // whose fix may carry --form gemm)
    JsonObject inspect = JsonOutput.result(Cli.run("inspect", target.toString(), "--json"));
    if (options.length > 0) {
      // the check's options are its own
    } else if (Files.isRegularFile(target)) {
      JsonObject model = inspect.getAsJsonArray("models").get(0).getAsJsonObject();
      assertEquals(
          report.get("wastedBytes").getAsLong(),
          model.get("wastedBytes").getAsLong(),
          "inspect and check of " + target);
      assertEquals(
          report.get("kept").getAsJsonArray().size(),
          model.get("kept").getAsJsonArray().size(),
          "inspect and check of " + target);
    } else if (!report.get("passed").getAsBoolean()
        && report.get("fix").getAsString().endsWith("--shared-data")) {
      assertEquals(
          report.get("bytesAfter").getAsLong(),
          inspect.get("bytesAfterShared").getAsLong(),
          "inspect and check of " + target);
    } else if (!report.get("passed").getAsBoolean()
        && inspect.get("bytesAfterEach") != null
        && !inspect.get("bytesAfterEach").isJsonNull()) {
      assertEquals(
          report.get("bytesAfter").getAsLong(),
          inspect.get("bytesAfterEach").getAsLong(),
          "inspect and check of " + target);
    }
    if (first.code() == 0) {
      assertEquals(0, report.get("wastedBytes").getAsLong(), first.out());
      return report;
    }
    assertEquals(1, first.code(), first.out() + first.err());
    String line =
        first
            .out()
            .lines()
            .filter(l -> l.contains("; fix: "))
            .findFirst()
            .orElseThrow(() -> new AssertionError(first.out()));
    String command = line.substring(line.indexOf("; fix: ") + "; fix: ".length());
    List<String> args = new ArrayList<>(Arrays.asList(command.split(" ")));
    assertEquals("onnx-tie", args.remove(0), command);
    assertEquals(report.get("fix").getAsString(), command);
    // the CLI in-process without Cli.run's ONNX checker: onnx 1.12's check_model(path,
    // full_check=True)
    // writes the shape-inferred model back into the file (value_info added), so it runs last
    StringWriter fixedOut = new StringWriter();
    StringWriter fixedErr = new StringWriter();
    Cli fixed =
        new Cli(
            OnnxTieCli.run(
                new PrintWriter(fixedOut, true),
                new PrintWriter(fixedErr, true),
                args.toArray(String[]::new)),
            fixedOut.toString(),
            fixedErr.toString());
    assertEquals(0, fixed.code(), command + "\n" + fixed.out() + fixed.err());
    Path out = Path.of(args.get(2));
    long after = modelBytes(out);
    long before = report.get("bytesBefore").getAsLong();
    assertEquals(
        before - after,
        report.get("wastedBytes").getAsLong(),
        "measured saving of "
            + command
            + ": "
            + before
            + " -> "
            + after
            + "\n"
            + fixed.out()
            + listing(out));
    assertTrue(after < before, "the fix grew the files: " + before + " -> " + after);
    Cli second = Cli.run(checkArgs(out, options));
    assertEquals(0, second.code(), "check after `" + command + "` does not pass:\n" + second.out());
    OnnxChecker.check(out);
    return report;
  }

  private static String[] checkArgs(Path target, String[] options, String... more) {
    List<String> args = new ArrayList<>(List.of("check", target.toString()));
    args.addAll(Arrays.asList(options));
    args.addAll(Arrays.asList(more));
    return args.toArray(String[]::new);
  }

  private static String listing(Path out) throws IOException {
    if (!Files.isDirectory(out)) {
      return out.toString();
    }
    try (Stream<Path> files = Files.list(out)) {
      return files
          .map(f -> f.getFileName() + " " + f.toFile().length())
          .sorted()
          .toList()
          .toString();
    }
  }

  /**
   * Bytes of the models and data files a rewrite wrote: a file plus its data file, or a folder's
   * .onnx and .data files.
   */
  private static long modelBytes(Path out) throws IOException {
    if (Files.isRegularFile(out)) {
      Path data = out.resolveSibling(out.getFileName() + ".data");
      return Files.size(out) + (Files.exists(data) ? Files.size(data) : 0);
    }
    long total = 0;
    try (Stream<Path> files = Files.list(out)) {
      for (Path file :
          files
              .filter(f -> f.toString().endsWith(".onnx") || f.toString().endsWith(".data"))
              .toList()) {
        total += Files.size(file);
      }
    }
    return total;
  }

  private Path copy(Path from, String name) throws IOException {
    Path to = temp.resolve(name);
    if (Files.isDirectory(from)) {
      Files.createDirectories(to);
      try (Stream<Path> files = Files.list(from)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          Files.copy(file, to.resolve(file.getFileName()));
        }
      }
    } else {
      Files.copy(from, to);
    }
    return to;
  }

  @Test
  void everySampleFileAndFolderConvergesInOneStep() throws IOException {
    int failedFirst = 0;
    try (Stream<Path> dirs = Files.list(TestModels.samples())) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
        List<Path> models;
        try (Stream<Path> files = Files.list(dir)) {
          models = files.filter(f -> f.toString().endsWith(".onnx")).sorted().toList();
        }
        if (models.isEmpty()) {
          continue;
        }
        Path folder = copy(dir, dir.getFileName().toString());
        failedFirst += converges(folder).get("passed").getAsBoolean() ? 0 : 1;
        for (Path model : models) {
          Path single =
              temp.resolve(
                  dir.getFileName() + "-" + model.getFileName().toString().replace(".onnx", ""));
          Files.createDirectories(single);
          Path file = single.resolve(model.getFileName());
          Files.copy(model, file);
          Path data = model.resolveSibling(model.getFileName() + ".data");
          if (Files.exists(data)) {
            Files.copy(data, single.resolve(data.getFileName()));
          }
          failedFirst += converges(file).get("passed").getAsBoolean() ? 0 : 1;
        }
      }
    }
    assertTrue(
        failedFirst >= 5,
        "the samples hold duplicates: at least 5 checks must fail first, " + failedFirst + " did");
  }

  @Test
  void seq2seqSplitFolderWasteIsTheSharedRewritesSaving() throws IOException {
    JsonObject report =
        converges(copy(TestModels.samples().resolve("seq2seq_split"), "seq2seq_split"));
    // each stored byte once: 701,782 -> 288,664 (was reported as 507,520, a copy counted within its
    // file and again across files)
    assertEquals(413_118, report.get("wastedBytes").getAsLong());
    assertTrue(report.get("fix").getAsString().endsWith("--shared-data"), report.toString());
  }

  /**
   * With --transposed-ties, the rewrite's own Transpose ties that ONNX Runtime holds twice are
   * fixed by the same command (--form gemm).
   */
  @Test
  void transposedTiesFixIncludesTheTiesTheRewriteMakes() throws IOException {
    JsonObject file =
        converges(
            copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), "gpt2.onnx"),
            "--transposed-ties");
    assertTrue(file.get("fix").getAsString().endsWith("--form gemm"), file.toString());
    JsonObject folder =
        converges(
            copy(TestModels.samples().resolve("seq2seq_split"), "seq2seq_split"),
            "--transposed-ties");
    assertTrue(
        folder.get("fix").getAsString().endsWith("--shared-data --form gemm"), folder.toString());
  }

  @Test
  void backendSuiteSelectionConverges() throws IOException {
    Path suite = BackendData.suite().resolve("pytorch-converted");
    List<Path> tests;
    try (Stream<Path> dirs = Files.list(suite)) {
      tests = dirs.filter(d -> Files.exists(d.resolve("model.onnx"))).sorted().toList();
    }
    Path folder = Files.createDirectories(temp.resolve("backend"));
    for (int i = 0; i < tests.size(); i += 4) {
      Path model = tests.get(i).resolve("model.onnx");
      converges(copy(model, tests.get(i).getFileName() + ".onnx"));
      Files.copy(model, folder.resolve(tests.get(i).getFileName() + ".onnx"));
    }
    converges(folder);
  }

  @Test
  void thirdPartyFolderAndFilesConverge() throws IOException {
    Path folder = Files.createDirectories(temp.resolve("langchain4j"));
    Path minilm = ThirdPartyModels.extract(ThirdPartyModels.ALL_MINILM_L6_V2_Q, folder);
    Path e5 = ThirdPartyModels.extract(ThirdPartyModels.E5_SMALL_V2_Q, folder);
    converges(folder);
    for (Path model : List.of(minilm, e5)) {
      converges(copy(model, "single-" + model.getFileName()));
    }
  }

  /**
   * Scenario 1 (whisper dummy_decoder): graph outputs that are copies of another output, one an
   * initializer and one a Constant node. The rewrite keeps both output names through an Identity of
   * the kept tensor, and check on its output passes.
   */
  @Test
  void graphOutputCopiesAreTiedThroughIdentity() throws IOException {
    Path file = copy(TestModels.samples().resolve("whisper_outputs/model.onnx"), "w.onnx");
    JsonObject report = converges(file);
    assertFalse(report.get("passed").getAsBoolean());
    ModelProto tied = ModelProto.parseFrom(Files.readAllBytes(temp.resolve("w-tied.onnx")));
    List<String> identities =
        tied.getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("Identity"))
            .map(n -> n.getInput(0) + "->" + n.getOutput(0))
            .sorted()
            .toList();
    assertEquals(
        List.of(
            "present_key_self_0->present_value_cross_0",
            "present_key_self_0->present_value_self_0"),
        identities);
    assertEquals(
        List.of("decoder.weight", "present_key_self_0"),
        tied.getGraph().getInitializerList().stream().map(TensorProto::getName).sorted().toList());
    assertEquals(4, tied.getGraph().getOutputCount());
    Cli verify = Cli.run("verify", file.toString(), temp.resolve("w-tied.onnx").toString());
    assertEquals(0, verify.code(), verify.out() + verify.err());
  }

  private static TensorProto positions(String name) {
    ByteBuffer bytes = ByteBuffer.allocate(512 * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 512; i++) {
      bytes.putLong(i);
    }
    return raw(name, DataType.INT64, bytes.array(), 1, 512);
  }

  /**
   * A model adding its int64 [1, 512] input to position ids held as an initializer or a Constant
   * node, plus small unique tensors.
   */
  private static ModelProto positionsModel(
      String positionName, boolean constant, int smallTensors, int seed) {
    List<NodeProto> nodes = new ArrayList<>();
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("g")
            .addInput(value("ids", TensorProto.DataType.INT64_VALUE, 1, 512))
            .addInput(value("x", TensorProto.DataType.INT64_VALUE, 16));
    if (constant) {
      nodes.add(
          node(
              "Constant",
              "Constant_214",
              List.of(),
              List.of(positionName),
              tensorAttribute("value", positions(positionName))));
    } else {
      graph.addInitializer(positions(positionName));
    }
    nodes.add(node("Add", "Add_0", List.of("ids", positionName), List.of("sum_0")));
    graph.addOutput(value("sum_0", TensorProto.DataType.INT64_VALUE, 1, 512));
    String last = "x";
    for (int i = 0; i < smallTensors; i++) {
      ByteBuffer bytes = ByteBuffer.allocate(16 * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < 16; k++) {
        bytes.putLong(seed * 100_000L + i * 16L + k);
      }
      String name = "small_" + i;
      graph.addInitializer(raw(name, DataType.INT64, bytes.array(), 16));
      nodes.add(node("Add", "Add_small_" + i, List.of(last, name), List.of("sum_small_" + i)));
      last = "sum_small_" + i;
    }
    graph.addAllNode(nodes);
    if (smallTensors > 0) {
      graph.addOutput(value(last, TensorProto.DataType.INT64_VALUE, 16));
    }
    return model(graph.build());
  }

  /**
   * Scenario 2, the part that never converged: a Constant node (int64 [1, 512], onnx::Slice_214)
   * that is a copy of an initializer in another file. The --shared-data rewrite check suggests
   * turns it into an initializer stored once in the shared file, and check on the result passes.
   */
  @Test
  void constantCopyOfAnotherFilesInitializerIsStoredOnce() throws IOException {
    Path folder = Files.createDirectories(temp.resolve("fold"));
    save(positionsModel("position_ids", false, 0, 1), folder.resolve("a.onnx"));
    save(positionsModel("onnx::Slice_214", true, 0, 2), folder.resolve("b.onnx"));
    JsonObject report = converges(folder);
    assertFalse(report.get("passed").getAsBoolean());
    assertTrue(report.get("fix").getAsString().endsWith("--shared-data"), report.toString());
    ModelProto b = ModelProto.parseFrom(Files.readAllBytes(temp.resolve("fold-tied/b.onnx")));
    assertEquals(
        List.of("onnx::Slice_214"),
        b.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
    assertTrue(
        b.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("Constant")));
    assertEquals(
        4096,
        Files.size(temp.resolve("fold-tied/shared.onnx.data")),
        "the position ids are stored once");
  }

  /**
   * Scenario 2, the part that grew the folder: the only copy across files is small next to what
   * laying every tensor out in one shared data file costs (an entry and alignment per tensor).
   * check does not suggest --shared-data; it passes and says it kept the copy, and why.
   */
  @Test
  void aSharedRewriteThatGrowsTheFolderIsNotSuggested() throws IOException {
    Path folder = Files.createDirectories(temp.resolve("grows"));
    save(positionsModel("position_ids", false, 120, 1), folder.resolve("a.onnx"));
    save(positionsModel("onnx::Slice_214", true, 120, 2), folder.resolve("b.onnx"));
    Path probe = temp.resolve("probe");
    int shared =
        OnnxTieCli.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(new StringWriter()),
            "rewrite",
            folder.toString(),
            probe.toString(),
            "--shared-data");
    assertEquals(0, shared);
    assertTrue(
        modelBytes(probe) > modelBytes(folder),
        "the scenario needs a shared rewrite that grows the folder");
    Cli check = Cli.run("check", folder.toString());
    assertEquals(0, check.code(), check.out());
    assertFalse(check.out().contains("fix:"), check.out());
    assertTrue(
        check.out().contains("kept onnx::Slice_214")
            && check.out().contains("would not make the files smaller"),
        check.out());
    JsonObject report = JsonOutput.result(Cli.run("check", folder.toString(), "--json"));
    assertEquals(1, report.getAsJsonArray("kept").size(), report.toString());
    assertEquals(0, report.get("wastedBytes").getAsLong());
  }

  /**
   * A transposed copy in another file: no rewrite removes it (one shared data file stores identical
   * bytes once, and a file cannot read another's tensor through a Transpose). check passes from the
   * start and says it kept the copy and why, instead of suggesting a --shared-data rewrite that
   * changes nothing.
   */
  @Test
  void aTransposedCopyAcrossFilesIsKeptWithTheReason() throws IOException {
    Path folder = Files.createDirectories(temp.resolve("transposed"));
    float[] w = TestModels.randomFloats(7, 32 * 16);
    save(
        model(
            GraphProto.newBuilder()
                .setName("a")
                .addInitializer(TestModels.floats("w", w, 32, 16))
                .addInput(value("x", 1, 2, 32))
                .addOutput(value("y", 1, 2, 16))
                .addNode(node("MatMul", "mm", List.of("x", "w"), List.of("y")))
                .build()),
        folder.resolve("a.onnx"));
    save(
        model(
            GraphProto.newBuilder()
                .setName("b")
                .addInitializer(TestModels.floats("wt", TestModels.transpose(w, 32, 16), 16, 32))
                .addInput(value("x", 1, 2, 16))
                .addOutput(value("y", 1, 2, 32))
                .addNode(node("MatMul", "mm", List.of("x", "wt"), List.of("y")))
                .build()),
        folder.resolve("b.onnx"));
    JsonObject report = converges(folder);
    assertTrue(report.get("passed").getAsBoolean(), report.toString());
    assertEquals(1, report.getAsJsonArray("kept").size(), report.toString());
    JsonObject kept = report.getAsJsonArray("kept").get(0).getAsJsonObject();
    assertEquals("wt", kept.get("tensor").getAsString());
    assertTrue(
        kept.get("reason").getAsString().contains("stores identical bytes once"), kept.toString());
    Cli text = Cli.run("check", folder.toString());
    assertTrue(text.out().contains("kept wt") && text.out().contains("check passed"), text.out());
  }

  /**
   * Issue 19's sixth point: "files 21.9 MiB -> 21.9 MiB" hid the saving; where the rounded sizes
   * are equal, exact bytes are printed.
   */
  @Test
  void equalRoundedSizesArePrintedInBytes() throws IOException {
    Path minilm =
        ThirdPartyModels.extract(
            ThirdPartyModels.ALL_MINILM_L6_V2_Q, Files.createDirectories(temp.resolve("minilm")));
    Path out = temp.resolve("minilm/tied.onnx");
    Cli text = Cli.run("rewrite", minilm.toString(), out.toString());
    assertEquals(0, text.code(), text.err());
    long before = Files.size(minilm);
    Cli json =
        Cli.run(
            "rewrite", minilm.toString(), temp.resolve("minilm/tied2.onnx").toString(), "--json");
    JsonObject report = JsonOutput.result(json);
    long after =
        report.getAsJsonArray("models").get(0).getAsJsonObject().get("bytesAfter").getAsLong();
    assertTrue(
        text.out()
            .contains(
                "34 ties, 18816 tensor bytes removed (18.4 KiB); files "
                    + before
                    + " -> "
                    + after
                    + " bytes"),
        text.out());
  }
}
