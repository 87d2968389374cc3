package dev.onnxtie.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import com.google.protobuf.ByteString;
import dev.onnxtie.Cli;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.Verification.Input;
import dev.onnxtie.api.Verification.Output;
import dev.onnxtie.cli.JsonOutput;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** End-to-end verification on the samples and on tiny models built here, in ONNX Runtime (CPU). */
class VerifierTest {
  static final Path GPT2 = VerifyModels.SAMPLES.resolve("gpt2_tied/model.onnx");
  static final Path AUTOENCODER = VerifyModels.SAMPLES.resolve("tied_autoencoder/model.onnx");

  @TempDir Path temp;

  static VerifyOptions cpu() {
    return VerifyOptions.defaults().withProvider(Provider.CPU);
  }

  @Test
  void onlyOrtsOwnUncheckedExceptionsCountAsModelFailures() throws Exception {
    // one of ours (a bug): re-thrown as it is, so the CLI reports an internal error (exit 3)
    assertFalse(OrtSessions.thrownByOrt(new IllegalStateException("a bug in onnx-tie")));
    // one of ONNX Runtime's: its Java API refuses a closed tensor
    OnnxTensor tensor = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), new float[] {1f});
    tensor.close();
    RuntimeException fromOrt = assertThrows(RuntimeException.class, tensor::getFloatBuffer);
    assertTrue(OrtSessions.thrownByOrt(fromOrt), fromOrt + " at " + fromOrt.getStackTrace()[0]);
  }

  @Test
  void singleFileModelsLoadFromAMappedCopyThatIsGoneAfterwards() throws IOException {
    String tempBefore = System.getProperty("java.io.tmpdir");
    Path scratch = Files.createDirectories(temp.resolve("scratch"));
    System.setProperty("java.io.tmpdir", scratch.toString());
    OrtSessions.setMappableCopyMinBytes(0);
    Verification report;
    Verification asIs;
    Cli json;
    Cli jsonAsIs;
    try (Verifier verifier = new Verifier(cpu());
        Verifier plain = new Verifier(cpu().withLoadAsIs(true))) {
      report = verifier.compare(GPT2, GPT2);
      asIs = plain.compare(GPT2, GPT2);
      json = Cli.run("verify", GPT2.toString(), GPT2.toString(), "--provider", "cpu", "--json");
      jsonAsIs =
          Cli.run(
              "verify",
              GPT2.toString(),
              GPT2.toString(),
              "--provider",
              "cpu",
              "--load-as-is",
              "--json");
    } finally {
      OrtSessions.setMappableCopyMinBytes(16L << 20);
      System.setProperty("java.io.tmpdir", tempBefore);
    }
    assertTrue(report.passed(), report.toString());
    assertTrue(
        report.runs().get(0).outputs().stream().allMatch(Output::bitwiseIdentical),
        report.toString());
    for (Verification.Session session : report.sessions()) {
      assertNotNull(session.mappedBytes(), session.model());
      assertTrue(
          session.mappedBytes() > Files.size(GPT2) / 2,
          "the embedding and head: " + session.mappedBytes());
    }
    assertEquals(0, json.code(), json.err());
    assertEquals(0, jsonAsIs.code(), jsonAsIs.err());
    for (var session : JsonOutput.result(json).getAsJsonArray("sessions")) {
      assertTrue(session.getAsJsonObject().get("mappedBytes").getAsLong() > 0, json.out());
    }
    for (var session : JsonOutput.result(jsonAsIs).getAsJsonArray("sessions")) {
      assertTrue(
          session.getAsJsonObject().get("mappedBytes").isJsonNull(),
          "--load-as-is: " + jsonAsIs.out());
    }
    assertTrue(asIs.passed(), asIs.toString());
    assertTrue(
        asIs.sessions().stream().allMatch(session -> session.mappedBytes() == null),
        "--load-as-is: " + asIs.toString());
    try (var left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList(), "each copy is deleted once its session exists");
    }
  }

  /**
   * The same file verified against itself reports the same session memory (issue 19: measured in
   * one process, an 8 MiB MatMul model read +8.1 MiB first and +24.0 MiB second, as memory the
   * first session freed stays with the C allocator); each session is measured in a fresh process.
   */
  @Test
  void theSameFileTwiceReportsTheSameSessionMemory() {
    int rows = 1024;
    int cols = 2048;
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("mm")
            .addInput(TestModels.value("x", 1, 2, rows))
            .addOutput(TestModels.value("y", 1, 2, cols))
            .addInitializer(
                TestModels.floats("W", TestModels.randomFloats(3, rows * cols), rows, cols))
            .addNode(TestModels.node("MatMul", "mm", List.of("x", "W"), List.of("y")))
            .build();
    Path model = TestModels.save(TestModels.model(graph), temp.resolve("mm.onnx"));
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(model, model);
    }
    assertTrue(report.passed(), report.toString());
    long a = report.sessions().get(0).rssGrowthBytes();
    long b = report.sessions().get(1).rssGrowthBytes();
    assertEquals("fresh-process", report.sessions().get(0).memoryMethod());
    assertEquals("fresh-process", report.sessions().get(1).memoryMethod());
    assertTrue(a > 7 << 20, "the session holds the 8 MiB weight: " + a);
    assertTrue(
        Math.abs(a - b) <= Math.max(1 << 20, 0.02 * Math.max(a, b)),
        "A " + a + " vs B " + b + " bytes");
  }

  @Test
  void gpt2AgainstItselfMatchesBitwise() {
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(GPT2, GPT2);
    }
    assertTrue(report.passed(), report.toString());
    assertEquals("CPU", report.provider());
    assertEquals(2, report.sessions().size());
    assertNotNull(report.sessions().get(0).rssGrowthBytes(), "VmRSS is read on Linux");
    assertNull(report.sessions().get(0).mappedBytes(), "a 1 MB model is loaded as it is");
    assertTrue(
        OrtSessions.residentBytes() > 10 << 20, "a JVM with ONNX Runtime takes more than 10 MiB");
    Verification.Run run = report.runs().get(0);
    assertEquals(42L, run.seed());
    Input ids = run.inputs().get(0);
    assertEquals("input_ids", ids.name());
    assertEquals("int64", ids.dtype());
    assertEquals(List.of(InputSynthesizer.BATCH_DIM, InputSynthesizer.OTHER_DIM), ids.shape());
    assertEquals(0.0, ids.low());
    assertEquals(1000.0, ids.high());
    assertEquals(Map.of("batch", 2L, "sequence", 8L), report.dims());
    Output logits = run.outputs().get(0);
    assertEquals("logits", logits.name());
    assertEquals(Status.MATCH.label(), logits.status());
    assertTrue(logits.bitwiseIdentical());
    assertEquals(0.0, logits.maxAbsDiff());
    assertEquals(List.of(2L, 8L, 1000L), logits.shapeB());
    assertEquals(16_000, logits.elements());

    // (the JSON of a verification is the CLI's one renderer's, checked against the schema by the
    // CLI's tests)
    assertTrue(report.passed());
    assertEquals(0.0, report.runs().get(0).inputs().get(0).low());
    assertEquals(1000.0, report.runs().get(0).inputs().get(0).high());
  }

  @Test
  void perturbedEmbeddingFailsAndNamesLogits() throws IOException {
    // Every token is 7 (range [7, 8)), so changing row 7 of wte.weight must change the logits.
    Path perturbed = temp.resolve("perturbed.onnx");
    try (OnnxModel model = ModelIO.read(GPT2)) {
      ModelProto proto = model.proto();
      GraphProto.Builder graph = proto.getGraph().toBuilder();
      int index = -1;
      for (int i = 0; i < graph.getInitializerCount(); i++) {
        if (graph.getInitializer(i).getName().equals("wte.weight")) {
          index = i;
        }
      }
      assertTrue(index >= 0, "gpt2_tied has wte.weight");
      TensorProto weight = graph.getInitializer(index);
      assertArrayEquals(
          new long[] {1000, 64},
          weight.getDimsList().stream().mapToLong(Long::longValue).toArray());
      ByteBuffer bytes =
          ByteBuffer.wrap(model.rawBytes(weight).toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
      int at = (7 * 64 + 3) * 4;
      bytes.putFloat(at, bytes.getFloat(at) + 0.5f);
      graph.setInitializer(
          index,
          weight.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(bytes.array())));
      ModelIO.write(
          model.withProto(proto.toBuilder().setGraph(graph).build()),
          perturbed,
          WriteOptions.defaults());
    }
    Verification report;
    try (Verifier verifier = new Verifier(cpu().withRange("input_ids", 7, 8))) {
      report = verifier.compare(GPT2, perturbed);
    }
    assertFalse(report.passed(), report.toString());
    assertEquals(List.of("logits"), report.failedOutputs());
    Output logits = output(report, "logits").get(0);
    assertEquals(Status.MISMATCH.label(), logits.status());
    assertFalse(logits.bitwiseIdentical());
    assertTrue(logits.outOfTolerance() > 0 && logits.maxAbsDiff() > 1e-3, logits.toString());
    assertTrue(logits.nanInfMatch());
    assertNotNull(logits.detail());
    assertEquals(7.0, report.runs().get(0).inputs().get(0).low());
    assertFalse(report.passed(), report.toString());
  }

  /**
   * The autoencoder with one tensor renamed everywhere (graph input or output, node inputs and
   * outputs).
   */
  private Path renamed(String from, String to) {
    try (OnnxModel model = ModelIO.read(AUTOENCODER)) {
      UnaryOperator<String> rename = name -> name.equals(from) ? to : name;
      GraphProto.Builder graph = model.proto().getGraph().toBuilder();
      for (NodeProto.Builder node : graph.getNodeBuilderList()) {
        for (int i = 0; i < node.getInputCount(); i++) {
          node.setInput(i, rename.apply(node.getInput(i)));
        }
        for (int i = 0; i < node.getOutputCount(); i++) {
          node.setOutput(i, rename.apply(node.getOutput(i)));
        }
      }
      graph.getInputBuilderList().forEach(value -> value.setName(rename.apply(value.getName())));
      graph.getOutputBuilderList().forEach(value -> value.setName(rename.apply(value.getName())));
      return TestModels.save(
          model.proto().toBuilder().setGraph(graph).build(), temp.resolve(to + ".onnx"));
    }
  }

  @Test
  void differentOutputNamesAreReportedNotThrown() {
    String output;
    try (OnnxModel model = ModelIO.read(AUTOENCODER)) {
      output = model.proto().getGraph().getOutput(0).getName();
    }
    Path other = renamed(output, "renamed_output");
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(AUTOENCODER, other);
    }
    assertFalse(report.passed());
    assertEquals(2, report.interfaceDifferences().size(), report.interfaceDifferences().toString());
    assertEquals("only model a has it", report.interfaceDifferences().get(0).problem());
    assertEquals(output, report.interfaceDifferences().get(0).name());
    assertEquals("renamed_output", report.interfaceDifferences().get(1).name());
    assertNull(report.interfaceDifferences().get(1).a());
    assertEquals(Status.MISSING.label(), output(report, output).get(0).status());
    assertEquals(Status.MISSING.label(), output(report, "renamed_output").get(0).status());
    assertEquals("only model b has it", report.interfaceDifferences().get(1).problem());
  }

  @Test
  void differentInputNamesFeedEachModelItsOwnInput() {
    Path other = renamed("x", "renamed_x");
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(AUTOENCODER, other);
    }
    assertFalse(report.passed());
    List<Input> inputs = report.runs().get(0).inputs();
    assertEquals(2, inputs.size(), inputs.toString());
    assertEquals("a", inputs.get(0).model());
    assertEquals("b", inputs.get(1).model());
    assertNull(report.runs().get(0).errorB());
    assertEquals("input", report.interfaceDifferences().get(0).kind());
  }

  @Test
  void modelsRunOneSessionAtATime() {
    Verification report;
    OrtSessions.resetMostOpen();
    try (Verifier verifier = new Verifier(cpu().withRuns(3))) {
      report = verifier.compare(GPT2, GPT2);
    }
    assertEquals(
        1,
        OrtSessions.mostOpenSessions(),
        "model A's session is closed before model B's is created");
    assertEquals(2, report.sessions().size());
    assertEquals(3, report.runs().size());
  }

  @Test
  void runsUseConsecutiveSeeds() {
    Verification report;
    try (Verifier verifier = new Verifier(cpu().withRuns(3).withSeed(7))) {
      report = verifier.compare(AUTOENCODER, AUTOENCODER);
    }
    assertTrue(report.passed(), report.toString());
    assertEquals(List.of(7L, 8L, 9L), report.runs().stream().map(Verification.Run::seed).toList());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "gpt2_fp16/model.onnx",
        "gpt2_external/model.onnx",
        "bert_mlm/model.onnx",
        "seq2seq_split/decoder_with_past_model.onnx",
        "t5_shared/model.onnx",
        "keras_encoder/model.onnx"
      })
  void samplesMatchThemselvesBitwise(String sample) {
    Path model = VerifyModels.SAMPLES.resolve(sample);
    Verification report;
    try (Verifier verifier = new Verifier(cpu().withOptLevel(OptLevel.BASIC))) {
      report = verifier.compare(model, model);
    }
    assertTrue(report.passed(), report.toString());
    assertEquals("basic", report.optLevel());
    for (Output output : report.runs().get(0).outputs()) {
      assertTrue(output.bitwiseIdentical(), output.toString());
    }
  }

  /** Every input dtype ORT accepts is synthesized, created in ORT, read back and compared. */
  @ParameterizedTest
  @EnumSource(
      value = DataType.class,
      names = {
        "FLOAT",
        "FLOAT16",
        "BFLOAT16",
        "DOUBLE",
        "INT8",
        "INT16",
        "INT32",
        "INT64",
        "UINT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "BOOL",
        "STRING"
      })
  void everyInputDtypeRoundTrips(DataType type) {
    Path model =
        TestModels.save(
            VerifyModels.unary("Identity", type, "batch", 3L), temp.resolve("identity.onnx"));
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(model, model);
    }
    assertTrue(report.passed(), report.toString());
    Output y = report.runs().get(0).outputs().get(0);
    assertEquals(type.onnxName(), y.dtypeA());
    assertEquals(List.of(2L, 3L), y.shapeA());
    assertTrue(y.bitwiseIdentical());
  }

  @Test
  void npyInputFeedsTheModel() throws IOException {
    Path model =
        TestModels.save(
            VerifyModels.unary("Abs", DataType.FLOAT, "n", 3L), temp.resolve("abs.onnx"));
    Path npy =
        Files.write(
            temp.resolve("x.npy"),
            VerifyModels.npy(
                "<f4",
                false,
                new long[] {2, 3},
                VerifyModels.floats(ByteOrder.LITTLE_ENDIAN, -1, 2, -3, 4, -5, 6)));
    Path data = Files.createDirectories(temp.resolve("data"));
    TestModels.save(
        TestModels.floats("y", new float[] {1, 2, 3, 4, 5, 6}, 2, 3), data.resolve("output_0.pb"));
    Verification report;
    try (Verifier verifier = new Verifier(cpu().withInput("x", npy))) {
      report = verifier.againstExpected(model, data);
      assertTrue(report.passed(), report.toString());
      Input x = report.runs().get(0).inputs().get(0);
      assertEquals("file", x.source());
      assertEquals(npy.toString(), x.file());
      assertEquals(List.of(2L, 3L), x.shape());
      assertTrue(report.runs().get(0).outputs().get(0).bitwiseIdentical());

      TestModels.save(
          TestModels.floats("y", new float[] {1, 2, 3, 4, 5, 6.5f}, 2, 3),
          data.resolve("output_0.pb"));
      Verification wrong = verifier.againstExpected(model, data);
      assertFalse(wrong.passed());
      assertEquals(1, wrong.runs().get(0).outputs().get(0).outOfTolerance());

      Verification compared = verifier.compare(model, model);
      assertTrue(compared.passed());
    }
    try (Verifier verifier = new Verifier(cpu().withInput("x", npy))) {
      Verification compared = verifier.compare(model, model);
      assertEquals(Map.of("n", 2L), compared.dims());
      assertNull(compared.runs().get(0).seed(), "no random input");
    }
  }

  @Test
  void pbInputsAndDataSetsMatchByNameOrPosition() throws IOException {
    Path model =
        TestModels.save(
            VerifyModels.unary("Abs", DataType.FLOAT, "n", 3L), temp.resolve("abs.onnx"));
    Path data = Files.createDirectories(temp.resolve("set"));
    // no names: matched by position
    TestModels.save(
        TestModels.floats("", new float[] {-7, 8, -9}, 1, 3), data.resolve("input_0.pb"));
    TestModels.save(
        TestModels.floats("", new float[] {7, 8, 9}, 1, 3), data.resolve("output_0.pb"));
    try (Verifier verifier = new Verifier(cpu())) {
      Verification report = verifier.againstExpected(model, data);
      assertTrue(report.passed(), report.toString());
      assertEquals("data-set", report.runs().get(0).inputs().get(0).source());
    }
    // a .pb file given for the input replaces the data set's
    Path pb =
        TestModels.save(TestModels.floats("x", new float[] {7, -8, 9}, 1, 3), temp.resolve("x.pb"));
    try (Verifier verifier = new Verifier(cpu().withInput("x", pb))) {
      Verification report = verifier.againstExpected(model, data);
      assertTrue(report.passed(), report.toString());
      assertEquals(pb.toString(), report.runs().get(0).inputs().get(0).file());
    }
    // the data set as the input of a comparison
    try (Verifier verifier = new Verifier(cpu().withDataSet(data))) {
      Verification report = verifier.compare(model, model);
      assertTrue(report.passed(), report.toString());
      assertEquals("data-set", report.runs().get(0).inputs().get(0).source());
      assertEquals(List.of(1L, 3L), report.runs().get(0).inputs().get(0).shape());
    }
  }

  @Test
  void inputFilesOfTheWrongDtypeOrShapeAreBadInput() throws IOException {
    Path model =
        TestModels.save(
            VerifyModels.unary("Abs", DataType.FLOAT, "n", 3L), temp.resolve("abs.onnx"));
    Path doubles =
        Files.write(
            temp.resolve("d.npy"), VerifyModels.npy("<f8", false, new long[] {1, 3}, new byte[24]));
    try (Verifier verifier = new Verifier(cpu().withInput("x", doubles))) {
      OnnxTieException error =
          assertThrows(OnnxTieException.class, () -> verifier.compare(model, model));
      assertEquals(OnnxTieException.BAD_INPUT, error.exitCode());
      assertTrue(
          error.getMessage().contains("double[1, 3]") && error.getMessage().contains("float[n, 3]"),
          error.getMessage());
    }
    Path wide =
        Files.write(
            temp.resolve("w.npy"), VerifyModels.npy("<f4", false, new long[] {1, 4}, new byte[16]));
    try (Verifier verifier = new Verifier(cpu().withInput("x", wide))) {
      assertThrows(OnnxTieException.class, () -> verifier.compare(model, model));
    }
    try (Verifier verifier = new Verifier(cpu().withRange("y", 0, 1))) {
      OnnxTieException error =
          assertThrows(OnnxTieException.class, () -> verifier.compare(model, model));
      assertTrue(error.getMessage().contains("valid: x"), error.getMessage());
    }
    try (Verifier verifier = new Verifier(cpu().withDim("batch", 4))) {
      OnnxTieException error =
          assertThrows(OnnxTieException.class, () -> verifier.compare(model, model));
      assertTrue(error.getMessage().contains("valid: n"), error.getMessage());
    }
  }

  @Test
  void aModelOnnxRuntimeRefusesIsOneLineBadInput() {
    Path model =
        TestModels.save(
            VerifyModels.unary("NoSuchOperator", DataType.FLOAT, 3L), temp.resolve("bad.onnx"));
    try (Verifier verifier = new Verifier(cpu())) {
      OnnxTieException error =
          assertThrows(OnnxTieException.class, () -> verifier.compare(model, model));
      assertEquals(OnnxTieException.BAD_INPUT, error.exitCode());
      assertTrue(
          error.getMessage().startsWith("ONNX Runtime cannot load " + model), error.getMessage());
      assertTrue(error.getMessage().contains("NoSuchOperator"), error.getMessage());
      assertFalse(error.getMessage().contains("\n"), error.getMessage());
    }
  }

  @Test
  void modelBFailingAtRunTimeIsReportedAsErrorModelAFailingIsBadInput() {
    // Both declare x as float[3]; B reshapes it to [4], which fails at run time.
    Path three =
        TestModels.save(VerifyModels.unary("Abs", DataType.FLOAT, 3L), temp.resolve("three.onnx"));
    Path reshaping =
        TestModels.save(
            TestModels.model(
                GraphProto.newBuilder()
                    .setName("reshape")
                    .addNode(TestModels.node("Reshape", List.of("x", "shape"), List.of("y")))
                    .addInitializer(
                        TensorProto.newBuilder()
                            .setName("shape")
                            .setDataType(DataType.INT64.code())
                            .addDims(1)
                            .addInt64Data(4))
                    .addInput(TestModels.value("x", DataType.FLOAT, 3L))
                    .addOutput(TestModels.value("y", DataType.FLOAT, 3L))
                    .build()),
            temp.resolve("reshape.onnx"));
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(three, reshaping);
    }
    assertFalse(report.passed());
    Verification.Run run = report.runs().get(0);
    assertNotNull(run.errorB());
    assertEquals(Status.ERROR.label(), run.outputs().get(0).status());
    assertFalse(run.errorB().contains("\n"));
    try (Verifier verifier = new Verifier(cpu())) {
      OnnxTieException error =
          assertThrows(OnnxTieException.class, () -> verifier.compare(reshaping, three));
      assertEquals(OnnxTieException.BAD_INPUT, error.exitCode());
      assertTrue(
          error.getMessage().contains("failed to run")
              && error.getMessage().contains("set dims or ranges"),
          error.getMessage());
      assertFalse(error.getMessage().contains("\n"), error.getMessage());
    }
  }

  @Test
  void cudaRequestedWithoutCudaIsBadInputWithTheGpuBuildHint() {
    assumeFalse(
        OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
        "this ONNX Runtime has CUDA");
    OnnxTieException error =
        assertThrows(
            OnnxTieException.class,
            () -> new Verifier(VerifyOptions.defaults().withProvider(Provider.CUDA)));
    assertEquals(OnnxTieException.BAD_INPUT, error.exitCode());
    assertTrue(
        error.getMessage().contains("mvn -Pgpu package")
            && error.getMessage().contains("onnxruntime_gpu"),
        error.getMessage());
  }

  /**
   * A folder verifies each model with a verifier of its own: why AUTO ran on CPU is said once per
   * process.
   */
  @Test
  void theNoCudaNoteComesOncePerProcess() {
    assumeFalse(
        OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
        "this ONNX Runtime has CUDA");
    OrtSessions.resetProviderNote();
    Verification first;
    Verification second;
    try (Verifier verifier = new Verifier(VerifyOptions.defaults())) {
      first = verifier.compare(AUTOENCODER, AUTOENCODER);
    }
    try (Verifier verifier = new Verifier(VerifyOptions.defaults())) {
      second = verifier.compare(AUTOENCODER, AUTOENCODER);
    }
    assertEquals(
        1,
        first.notes().stream().filter(note -> note.contains("no CUDA provider")).count(),
        first.notes().toString());
    assertTrue(
        second.notes().stream().noneMatch(note -> note.contains("CUDA")),
        second.notes().toString());
    assertEquals("CPU", second.provider());
  }

  /**
   * position_ids are 0..length-1 along the last axis in every row; --range makes them random again.
   */
  @Test
  void positionIdsCountAlongTheLastAxis() {
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("pos")
            .addInput(TestModels.value("position_ids", 7, "batch", "sequence"))
            .addOutput(TestModels.value("out", 7, "batch", "sequence"))
            .addNode(TestModels.node("Identity", "i", List.of("position_ids"), List.of("out")))
            .build();
    Path model = TestModels.save(TestModels.model(graph), temp.resolve("pos.onnx"));
    Verification report;
    try (Verifier verifier = new Verifier(cpu())) {
      report = verifier.compare(model, model);
    }
    Input used = report.runs().get(0).inputs().get(0);
    assertEquals("positions", used.source());
    assertEquals(0.0, used.low());
    assertEquals(8.0, used.high());
    HostTensor positions = InputSynthesizer.positions(DataType.INT64, new long[] {2, 3});
    ByteBuffer bytes = positions.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long[] values = new long[6];
    for (int i = 0; i < 6; i++) {
      values[i] = bytes.getLong(i * 8);
    }
    assertArrayEquals(new long[] {0, 1, 2, 0, 1, 2}, values);
    try (Verifier verifier = new Verifier(cpu().withRange("position_ids", 0, 5))) {
      assertEquals("random", verifier.compare(model, model).runs().get(0).inputs().get(0).source());
    }
  }

  @Test
  void autoFallsBackToCpu() {
    assumeFalse(
        OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
        "this ONNX Runtime has CUDA");
    OrtSessions.resetProviderNote();
    try (Verifier verifier = new Verifier(VerifyOptions.defaults())) {
      assertEquals("CPU", verifier.provider());
      Verification report = verifier.compare(AUTOENCODER, AUTOENCODER);
      assertTrue(report.passed(), report.toString());
      assertEquals("CPU", report.provider());
      assertEquals("CPU", report.sessions().get(0).provider());
      assertTrue(
          report.notes().stream().anyMatch(note -> note.contains("no CUDA provider")),
          report.notes().toString());
    }
  }

  @Test
  void optionsAreValidated() {
    assertThrows(OnnxTieException.class, () -> VerifyOptions.defaults().withRuns(0));
    assertThrows(OnnxTieException.class, () -> VerifyOptions.defaults().withRange("x", 6, 5));
    assertThrows(
        OnnxTieException.class, () -> VerifyOptions.defaults().withTolerance(Double.NaN, 0));
    VerifyOptions defaults = VerifyOptions.defaults();
    assertEquals(42, defaults.seed());
    assertEquals(1, defaults.runs());
    assertEquals(Provider.AUTO, defaults.provider());
    assertEquals(OptLevel.ALL, defaults.optLevel());
    assertEquals(1e-5, defaults.atol());
    assertEquals(1e-5, defaults.rtol());
  }

  /** The comparisons of one output in every run, in run order. */
  private static List<Output> output(Verification report, String name) {
    return report.runs().stream()
        .flatMap(run -> run.outputs().stream())
        .filter(output -> output.name().equals(name))
        .toList();
  }
}
