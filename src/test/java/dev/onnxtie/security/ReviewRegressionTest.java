package dev.onnxtie.security;

import static dev.onnxtie.TestModels.floats;
import static dev.onnxtie.TestModels.node;
import static dev.onnxtie.TestModels.randomFloats;
import static dev.onnxtie.TestModels.transpose;
import static dev.onnxtie.TestModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.onnxtie.Cli;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.CrossFileGroup;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.cli.OnnxTieCli;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ExternalDataTest;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bugs an independent review confirmed, each with the model that showed it. */
class ReviewRegressionTest {
  @TempDir Path dir;

  static String verify(Path a, Path b, String... extra) {
    if (Files.isDirectory(a)) {
      a = a.resolve("model.onnx");
    }
    List<String> args = new ArrayList<>(List.of("verify", a.toString(), b.toString()));
    args.addAll(List.of(extra));
    Cli result = Cli.run(args.toArray(String[]::new));
    assertEquals(0, result.code(), result.out() + result.err());
    return result.out();
  }

  @Test
  void aSubgraphThatReusesAnOuterNameIsLeftAlone() throws Exception {
    float[] a = randomFloats(1, 16);
    float[] minusOnes = new float[16];
    Arrays.fill(minusOnes, -1f);
    GraphProto thenBranch =
        GraphProto.newBuilder()
            .setName("then")
            .addInitializer(floats("B", minusOnes, 16))
            .addOutput(value("t_out", 1, 16))
            .addNode(node("Add", "then_add", List.of("x", "B"), List.of("t_out")))
            .build();
    GraphProto elseBranch =
        GraphProto.newBuilder()
            .setName("else")
            .addOutput(value("e_out", 1, 16))
            .addNode(node("Add", "else_add", List.of("x", "A"), List.of("e_out")))
            .build();
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("A", a, 16))
            .addInitializer(floats("B", a.clone(), 16))
            .addInput(value("x", 1, 16))
            .addInput(value("c", 9))
            .addOutput(value("y", 1, 16))
            .addOutput(value("yi", 1, 16))
            .addNode(node("Add", "main_add", List.of("x", "B"), List.of("y")))
            .addNode(
                node(
                    "If",
                    "branch",
                    List.of("c"),
                    List.of("yi"),
                    TestModels.graphAttribute("then_branch", thenBranch),
                    TestModels.graphAttribute("else_branch", elseBranch)))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("shadow.onnx"));
    Path out = dir.resolve("out.onnx");
    Cli result = Cli.run("rewrite", in.toString(), out.toString());
    assertEquals(0, result.code(), result.err());
    assertTrue(result.out().contains("a subgraph reuses the name"), result.out());
    ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
    GraphProto then = written.getGraph().getNode(1).getAttribute(0).getG();
    assertEquals(
        List.of("x", "B"), then.getNode(0).getInputList(), "the branch still reads its own B");
  }

  /**
   * A model whose Constant value lives in an external data file, as
   * onnx.save(convert_attribute=True) writes.
   */
  Path externalConstant(Path folder) throws Exception {
    Files.createDirectories(folder);
    float[] w = randomFloats(3, 64);
    // other values than W's: the same bytes would be a reshape tie of W and the Constant would go
    byte[] raw = floats("c", randomFloats(4, 64), 64).getRawData().toByteArray();
    Files.write(folder.resolve("m.onnx.data"), raw);
    TensorProto constant =
        TensorProto.newBuilder()
            .setName("c")
            .setDataType(1)
            .addDims(64)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(
                StringStringEntryProto.newBuilder().setKey("location").setValue("m.onnx.data"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("256"))
            .build();
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("W", w, 8, 8))
            .addInitializer(floats("Wt", transpose(w, 8, 8), 8, 8))
            .addInput(value("x", 1, 2, 8))
            .addOutput(value("y", 1, 2, 8))
            .addOutput(value("z", 1, 64))
            .addNode(
                node(
                    "Constant",
                    "const",
                    List.of(),
                    List.of("cv"),
                    TestModels.tensorAttribute("value", constant)))
            .addNode(node("MatMul", "m1", List.of("x", "W"), List.of("h")))
            .addNode(node("MatMul", "m2", List.of("h", "Wt"), List.of("y")))
            .addNode(node("Identity", "id", List.of("cv"), List.of("z")))
            .build();
    return TestModels.save(TestModels.model(graph), folder.resolve("m.onnx"));
  }

  @Test
  void externalConstantValuesAreCarriedIntoEveryOutput() throws Exception {
    Path in = externalConstant(dir.resolve("ext"));
    Path reference = dir.resolve("ref");
    Files.createDirectories(reference);
    Files.copy(in, reference.resolve("m.onnx"));
    Files.copy(in.resolveSibling("m.onnx.data"), reference.resolve("m.onnx.data"));
    Path other = Files.createDirectories(dir.resolve("other")).resolve("m.onnx");
    assertEquals(0, Cli.run("rewrite", in.toString(), other.toString()).code());
    verify(reference.resolve("m.onnx"), other);
    assertEquals(0, Cli.run("rewrite", in.toString(), in.toString()).code(), "in place");
    verify(reference.resolve("m.onnx"), in);
    StringWriter err = new StringWriter();
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    assertEquals(
        0,
        OnnxTieCli.run(
            new ByteArrayInputStream(new byte[0]),
            stdout,
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "rewrite",
            other.toString(),
            "-"));
    ModelProto streamed = ModelProto.parseFrom(stdout.toByteArray());
    assertTrue(
        streamed.getGraph().getNode(0).getAttribute(0).getT().getExternalDataList().isEmpty(),
        "a streamed model holds its constants");
  }

  @Test
  void theInputsDataFileIsNeverOverwritten() throws Exception {
    Path in = ExternalDataTest.copySampleInto(dir.resolve("g2"));
    String before = TestModels.digest(in.getParent());
    Cli refused =
        Cli.run(
            "rewrite",
            in.toString(),
            in.resolveSibling("tied.onnx").toString(),
            "--external-data",
            "model.onnx.data");
    assertEquals(2, refused.code(), refused.err());
    assertTrue(refused.err().contains("is taken"), refused.err());
    assertEquals(before, TestModels.digest(in.getParent()));
    assertEquals(
        0,
        Cli.run(
                "rewrite",
                in.toString(),
                in.resolveSibling("tied.onnx").toString(),
                "--external-data")
            .code());
    assertEquals(0, Cli.run("inspect", in.toString()).code(), "the input still reads");
  }

  @Test
  void gemmFormKeepsEmptyBatches() throws Exception {
    float[] w = randomFloats(5, 6 * 8);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("w", w, 6, 8))
            .addInitializer(floats("onnx::MatMul_wt", transpose(w, 6, 8), 8, 6))
            .addInput(value("xs", 1, "a", "b", "c", 8))
            .addOutput(value("y", 1, "a", "b", "c", 6))
            .addOutput(value("wc", 1, 6, 8))
            .addNode(node("Identity", "keep", List.of("w"), List.of("wc")))
            .addNode(node("MatMul", "head", List.of("xs", "onnx::MatMul_wt"), List.of("y")))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("gemm.onnx"));
    Path out = dir.resolve("gemm_out.onnx");
    assertEquals(0, Cli.run("rewrite", in.toString(), out.toString(), "--form", "gemm").code());
    verify(in, out, "--dim", "a=2", "--dim", "b=0", "--dim", "c=3");
    verify(in, out, "--dim", "a=2", "--dim", "b=4", "--dim", "c=3", "--atol", "1e-4");
  }

  @Test
  void omittedOptionalInputsAreNoTensors() throws Exception {
    float[] w = randomFloats(6, 8 * 8);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInitializer(floats("W", w, 8, 8))
            .addInitializer(floats("Wt", transpose(w, 8, 8), 8, 8))
            .addInitializer(floats("maxv", new float[] {0.5f}))
            .addInput(value("x", 1, 2, 8))
            .addOutput(value("y", 1, 2, 8))
            .addNode(node("MatMul", "m1", List.of("x", "W"), List.of("h")))
            .addNode(node("Clip", "clip", List.of("h", "", "maxv"), List.of("hc")))
            .addNode(node("MatMul", "m2", List.of("hc", "Wt"), List.of("y")))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("empty.onnx"));
    Path out = dir.resolve("empty_out.onnx");
    Cli result = Cli.run("rewrite", in.toString(), out.toString());
    assertEquals(0, result.code(), result.err());
    verify(in, out);
  }

  @Test
  void hugeFourBitDimsAreRefusedNotWrappedNegative() throws Exception {
    GraphProto graph =
        TestModels.embeddingAndHead(8, 4).getGraph().toBuilder()
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("q")
                    .setDataType(DataType.UINT4.code())
                    .addDims(Long.MAX_VALUE)
                    .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(
                        StringStringEntryProto.newBuilder().setKey("location").setValue("q.bin")))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("neg.onnx"));
    Files.write(dir.resolve("q.bin"), new byte[16]);
    Cli result = Cli.run("inspect", in.toString());
    assertEquals(2, result.code(), result.out());
    assertEquals(1, result.errLines(), result.err());
  }

  @Test
  void writeErrorsAreReported() throws Exception {
    Path devFull = Path.of("/dev/full");
    Assumptions.assumeTrue(Files.exists(devFull));
    Path gpt2 = TestModels.samples().resolve("gpt2_tied/model.onnx");
    Cli device = Cli.run("rewrite", gpt2.toString(), devFull.toString());
    assertEquals(2, device.code(), device.err());
    assertTrue(device.err().contains("No space left on device"), device.err());
    StringWriter err = new StringWriter();
    try (FileOutputStream full = new FileOutputStream(devFull.toFile())) {
      int code =
          OnnxTieCli.run(
              new ByteArrayInputStream(new byte[0]),
              full,
              new PrintWriter(new StringWriter()),
              new PrintWriter(err),
              "rewrite",
              gpt2.toString(),
              "-");
      assertEquals(2, code, err.toString());
    }
  }

  @Test
  void sparseInitializerNamesAreNotReused() throws Exception {
    ModelProto tied = TestModels.embeddingAndHead(30, 4);
    GraphProto graph =
        tied.getGraph().toBuilder()
            .addSparseInitializer(
                Onnx.SparseTensorProto.newBuilder()
                    .setValues(
                        TensorProto.newBuilder()
                            .setName("emb_transposed")
                            .setDataType(1)
                            .addDims(1)
                            .setRawData(ByteString.copyFrom(new byte[4])))
                    .setIndices(
                        TensorProto.newBuilder()
                            .setName("emb_transposed_indices")
                            .setDataType(7)
                            .addDims(1)
                            .setRawData(ByteString.copyFrom(new byte[8])))
                    .addDims(4))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("sparse.onnx"));
    Path out = dir.resolve("sparse_out.onnx");
    assertEquals(0, Cli.run("rewrite", in.toString(), out.toString()).code());
    ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
    String transposed =
        written.getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("Transpose"))
            .findFirst()
            .orElseThrow()
            .getOutput(0);
    assertTrue(!transposed.equals("emb_transposed"), transposed);
  }

  @Test
  void outOfRangeTypedValuesAreBadInput() throws Exception {
    TensorProto.Builder wide =
        TensorProto.newBuilder().setName("u").setDataType(DataType.UINT8.code()).addDims(80);
    for (int i = 0; i < 80; i++) {
      wide.addInt32Data(i == 3 ? 256 : i);
    }
    GraphProto graph =
        TestModels.embeddingAndHead(8, 4).getGraph().toBuilder()
            .addInitializer(wide.build())
            .addNode(
                node(
                    "Cast",
                    "cast_u",
                    List.of("u"),
                    List.of("uf"),
                    AttributeProto.newBuilder()
                        .setName("to")
                        .setType(AttributeProto.AttributeType.INT)
                        .setI(1)
                        .build()))
            .build();
    Path in = TestModels.save(TestModels.model(graph), dir.resolve("wide.onnx"));
    Cli result = Cli.run("rewrite", in.toString(), dir.resolve("o.onnx").toString());
    assertEquals(2, result.code(), result.err());
    assertTrue(result.err().contains("holds 256 in int32_data"), result.err());
  }

  // ---- second review: write paths

  @Test
  void otherModelsOfTheFolderKeepTheirDataAcrossInPlaceRewrites() throws Exception {
    Path model = ExternalDataTest.copySampleInto(dir.resolve("a"));
    Path backup = model.resolveSibling("backup.onnx");
    Files.copy(model, backup);
    Path reference = ExternalDataTest.copySampleInto(dir.resolve("ref"));
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    assertEquals(0, Cli.run("rewrite", model.toString(), model.toString()).code());
    assertEquals(
        0, Cli.run("inspect", backup.toString()).code(), "the backup still reads its data");
    verify(reference, backup);
    verify(reference, model);
  }

  @Test
  void aSecondSharedDataRewriteIntoTheSameFolderKeepsTheFirst() throws Exception {
    Path split = TestModels.samples().resolve("seq2seq_split");
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), other.resolve("gpt2.onnx"));
    Path out = dir.resolve("out");
    assertEquals(0, Cli.run("rewrite", split.toString(), out.toString(), "--shared-data").code());
    assertEquals(0, Cli.run("rewrite", other.toString(), out.toString(), "--shared-data").code());
    for (String name :
        List.of("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx")) {
      verify(split.resolve(name), out.resolve(name));
    }
    verify(other.resolve("gpt2.onnx"), out.resolve("gpt2.onnx"));
  }

  @Test
  void anInputNotNamedOnnxKeepsItsData() throws Exception {
    Path model = ExternalDataTest.copySampleInto(dir.resolve("b"));
    Path original = model.resolveSibling("model.onnx.orig");
    Files.move(model, original);
    assertEquals(0, Cli.run("rewrite", original.toString(), model.toString()).code());
    assertEquals(
        0, Cli.run("inspect", original.toString()).code(), "the input still reads its data");
    verify(original, model);
  }

  @Test
  void outputsNeverOverwriteTheInputOrItsData() throws Exception {
    Path single = Files.createDirectories(dir.resolve("s")).resolve("m.onnx");
    Files.copy(TestModels.samples().resolve("gpt2_tied/model.onnx"), single);
    String before = TestModels.digest(single.getParent());
    Cli overData =
        Cli.run(
            "rewrite",
            single.toString(),
            single.resolveSibling("m2.onnx").toString(),
            "--external-data",
            "m.onnx");
    assertEquals(2, overData.code(), overData.err());
    assertEquals(before, TestModels.digest(single.getParent()));
    Path model = ExternalDataTest.copySampleInto(dir.resolve("c"));
    String beforeExternal = TestModels.digest(model.getParent());
    Cli overInputData =
        Cli.run("rewrite", model.toString(), model.resolveSibling("model.onnx.data").toString());
    assertEquals(2, overInputData.code(), overInputData.err());
    assertTrue(overInputData.err().contains("is a data file the input reads"), overInputData.err());
    assertEquals(beforeExternal, TestModels.digest(model.getParent()));
  }

  @Test
  void crossFileWasteCountsEachStoredCopyOnceAndFilesOnce() throws Exception {
    Path split = TestModels.samples().resolve("seq2seq_split");
    Path shared = dir.resolve("shared");
    assertEquals(
        0, Cli.run("rewrite", split.toString(), shared.toString(), "--shared-data").code());
    assertEquals(0, Cli.run("check", shared.toString()).code());
    // two inline copies of the encoder next to the shared ones: the shared copies waste nothing,
    // the encoder's tensors are stored twice more
    Files.copy(split.resolve("encoder_model.onnx"), shared.resolve("0_inline.onnx"));
    Files.copy(split.resolve("encoder_model.onnx"), shared.resolve("z_inline.onnx"));
    // the bytes of the encoder's tensors a check counts (at least --min-bytes 64)
    long encoderBytes = 0;
    try (var encoder = ModelIO.read(split.resolve("encoder_model.onnx"))) {
      for (var tensor : encoder.proto().getGraph().getInitializerList()) {
        long bytes = Tensors.byteSize(tensor);
        encoderBytes += bytes >= 64 ? bytes : 0;
      }
    }
    List<Path> models;
    try (var files = Files.list(shared)) {
      models = files.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
    }
    var report = OnnxTie.check(models, 64, true, 1, Progress.NONE);
    long listed =
        report.acrossFiles().stream()
            .flatMap(group -> group.copies().stream())
            .filter(copy -> !copy.storedOnce())
            .mapToLong(CrossFileGroup.Copy::bytes)
            .sum();
    assertEquals(
        2 * encoderBytes,
        listed,
        "two copies of the encoder's tensors too many, each counted once");
    // the waste is what the suggested --shared-data rewrite saves on disk: the copies' bytes less
    // their
    // external-data entries and alignment in the shared file
    assertEquals(report.bytesBefore() - report.bytesAfter(), report.wastedBytes());
    assertTrue(
        report.wastedBytes() <= 2 * encoderBytes && report.wastedBytes() > 0.99 * 2 * encoderBytes,
        report.wastedBytes() + " of " + 2 * encoderBytes);
    Path gpt2 = TestModels.samples().resolve("keras_encoder/model.onnx");
    assertEquals(
        0,
        Cli.run("check", gpt2.toString(), gpt2.toString()).code(),
        "one file named twice is one file");
  }

  @Test
  void folderSizesCountASharedDataFileOnce() throws Exception {
    Path split = TestModels.samples().resolve("seq2seq_split");
    Path shared = dir.resolve("shared");
    assertEquals(
        0, Cli.run("rewrite", split.toString(), shared.toString(), "--shared-data").code());
    long onDisk;
    try (var files = Files.list(shared)) {
      onDisk =
          files
              .filter(p -> !p.getFileName().toString().startsWith(ModelIO.TEMP_PREFIX))
              .mapToLong(p -> p.toFile().length())
              .sum();
    }
    var again =
        OnnxTie.rewriteFolder(
            shared,
            dir.resolve("again"),
            RewriteOptions.defaults(),
            "shared.onnx.data",
            1,
            Progress.NONE);
    assertEquals(onDisk, again.bytesBefore());
    assertEquals(onDisk, again.bytesAfter(), "nothing left to tie: the same bytes again");
    OnnxChecker.check(dir.resolve("again"));
  }

  // ---- third review: verify

  Path int64Constant(String name, long value) throws Exception {
    byte[] raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    TensorProto constant = TestModels.raw("", DataType.INT64, raw, 1);
    GraphProto graph =
        GraphProto.newBuilder()
            .addInput(value("x", 1, 1))
            .addOutput(value("y", 7, 1))
            .addOutput(value("xo", 1, 1))
            .addNode(
                node(
                    "Constant",
                    "c",
                    List.of(),
                    List.of("y"),
                    TestModels.tensorAttribute("value", constant)))
            .addNode(node("Identity", "i", List.of("x"), List.of("xo")))
            .build();
    return TestModels.save(TestModels.model(graph), dir.resolve(name));
  }

  @Test
  void integerOutputsCompareExactly() throws Exception {
    Path a = int64Constant("a.onnx", (1L << 60));
    Path b = int64Constant("b.onnx", (1L << 60) + 1);
    Cli big = Cli.run("verify", a.toString(), b.toString(), "--atol", "0", "--rtol", "0");
    assertEquals(1, big.code(), big.out());
    assertTrue(big.out().contains("1152921504606846976 vs 1152921504606846977"), big.out());
    Path c = int64Constant("c.onnx", 1_000_000);
    Path d = int64Constant("d.onnx", 1_000_001);
    assertEquals(
        1,
        Cli.run("verify", c.toString(), d.toString()).code(),
        "a token id off by one fails whatever rtol says");
  }

  @Test
  void npyStringsWithInvalidCodePointsAreBadInput() throws Exception {
    String header = "{'descr': '<U1', 'fortran_order': False, 'shape': (2,), }";
    StringBuilder padded = new StringBuilder(header);
    while ((10 + padded.length() + 1) % 64 != 0) {
      padded.append(' ');
    }
    padded.append('\n');
    ByteBuffer file = ByteBuffer.allocate(10 + padded.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
    file.put((byte) 0x93)
        .put("NUMPY".getBytes())
        .put((byte) 1)
        .put((byte) 0)
        .putShort((short) padded.length());
    file.put(padded.toString().getBytes()).putInt(0x110000).putInt(65);
    Path npy = Files.write(dir.resolve("bad.npy"), file.array());
    Path model = TestModels.samples().resolve("keras_encoder/model.onnx");
    Cli result = Cli.run("verify", model.toString(), model.toString(), "--input", "x=" + npy);
    assertEquals(2, result.code(), result.err());
    assertEquals(1, result.errLines(), result.err());
    assertTrue(result.err().contains("no Unicode code point"), result.err());
  }
}
