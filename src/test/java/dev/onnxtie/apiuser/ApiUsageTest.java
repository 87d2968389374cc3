package dev.onnxtie.apiuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.CrossFileGroup;
import dev.onnxtie.api.FolderInspectReport;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.InsertReport;
import dev.onnxtie.api.InsertRequest;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.Model;
import dev.onnxtie.api.NewerIrSetting;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.OutputLayout;
import dev.onnxtie.api.Progress;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.RewrittenModel;
import dev.onnxtie.api.TieForm;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.VerifySettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as a Java user calls it: every public method of {@link OnnxTie}, on the real exports
 * under {@code samples/}, from a package of its own that imports only {@code dev.onnxtie} and
 * {@code dev.onnxtie.api} ({@code ApiBoundaryTest} checks this class's compiled references).
 */
class ApiUsageTest {
  static final Path SAMPLES = Path.of("samples").toAbsolutePath();
  static final Path GPT2 = SAMPLES.resolve("gpt2_tied/model.onnx");
  static final Path GPT2_EXTERNAL = SAMPLES.resolve("gpt2_external/model.onnx");
  static final Path SPLIT = SAMPLES.resolve("seq2seq_split");
  static final Path KERAS = SAMPLES.resolve("keras_encoder/model.onnx");
  static final Path ADD = Path.of("/usr/share/libonnx-testdata/data/node/test_add");

  /** gpt2_tied's lm_head is a transposed copy of its 250 x 256 float embedding. */
  static final long GPT2_SAVED = 256_000;

  @TempDir Path dir;

  @Test
  void rewriteAFileWithVerificationAndProgress() throws Exception {
    Path out = dir.resolve("tied.onnx");
    List<String> phases = new ArrayList<>();
    Progress progress =
        new Progress() {
          @Override
          public void step(String what, int done, int total) {}

          @Override
          public void phase(String what) {
            phases.add(what);
          }
        };
    RewriteReport report =
        OnnxTie.rewrite(
            GPT2,
            out,
            RewriteOptions.defaults().withVerify(VerifySettings.defaults().withRuns(2)),
            progress);
    assertEquals(GPT2_SAVED, report.result().bytesSaved());
    assertEquals(List.of(out.toString()), report.written());
    assertEquals(Files.size(out), (long) report.bytesAfter());
    assertEquals(Files.size(GPT2), report.bytesBefore());
    assertTrue(report.verification().passed(), report.verification().toString());
    assertEquals(2, report.verification().runs().size());
    assertTrue(phases.contains("reading model.onnx"), phases.toString());
    assertTrue(phases.contains("verifying tied.onnx"), phases.toString());
    // the same rewrite without progress writes the same bytes
    Path again = dir.resolve("again.onnx");
    OnnxTie.rewrite(GPT2, again, RewriteOptions.defaults());
    assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));
    // and the tied model holds no duplicate, checks clean and compares equal to the original
    assertEquals(0, OnnxTie.inspect(out, 64).wastedBytes());
    Verification compared = OnnxTie.compare(GPT2, out, VerifySettings.defaults().withSeed(7));
    assertTrue(compared.passed(), compared.toString());
    compared.runs().forEach(run -> run.outputs().forEach(o -> assertTrue(o.bitwiseIdentical())));
    // the ties between the two files are the rewrite's
    RewriteReport between = OnnxTie.tiesBetween(GPT2, out, 64, null);
    assertEquals(GPT2_SAVED, between.result().bytesSaved());
    assertNull(between.verification());
    RewriteReport verified = OnnxTie.tiesBetween(GPT2, out, 64, VerifySettings.defaults());
    assertTrue(verified.verification().passed());
  }

  @Test
  void theGemmFormAndADryRun() throws Exception {
    Path out = dir.resolve("gemm.onnx");
    RewriteReport dry =
        OnnxTie.rewrite(
            GPT2, out, RewriteOptions.defaults().withForm(TieForm.GEMM).withDryRun(true));
    assertTrue(dry.dryRun());
    assertFalse(Files.exists(out), "a dry run writes nothing");
    RewriteReport gemm =
        OnnxTie.rewrite(GPT2, out, RewriteOptions.defaults().withForm(TieForm.GEMM));
    assertEquals(dry.result().bytesSaved(), gemm.result().bytesSaved());
    assertFalse(gemm.result().ties().isEmpty());
    for (TieInfo tie : gemm.result().ties()) {
      assertEquals("gemm", tie.form(), tie.toString());
    }
  }

  @Test
  void aModelHandleFromAStreamRewritesInMemoryAndToStreamsAndFiles() throws Exception {
    byte[] bytes = Files.readAllBytes(GPT2);
    InspectReport inspected;
    try (Model model = OnnxTie.read(new ByteArrayInputStream(bytes), "standard input")) {
      assertNull(model.source());
      assertEquals(7, model.irVersion());
      inspected = OnnxTie.inspect(model, "-", 64);
      assertEquals(GPT2_SAVED, inspected.wastedBytes());
      // rewritten in memory, then written to a stream
      ByteArrayOutputStream memory = new ByteArrayOutputStream();
      RewrittenModel rewritten = OnnxTie.rewrite(model, RewriteOptions.defaults());
      assertEquals(GPT2_SAVED, rewritten.result().bytesSaved());
      try (Model tied = rewritten.model()) {
        OnnxTie.write(tied, memory);
        // and to a file, laid out with external data
        Path external = dir.resolve("external.onnx");
        List<Path> written =
            OnnxTie.write(
                tied,
                external,
                OutputLayout.defaults().withKind(OutputLayout.Kind.EXTERNAL, "weights.bin"));
        assertEquals(List.of(external, dir.resolve("weights.bin")), written);
        assertEquals(List.of(dir.resolve("weights.bin")), OnnxTie.dataFilesOf(external));
        assertEquals(0, OnnxTie.inspect(external, 64).wastedBytes());
      }
      // stream to stream, as {@code rewrite - -} does
      ByteArrayOutputStream streamed = new ByteArrayOutputStream();
      RewriteReport report = OnnxTie.rewrite(model, "-", streamed, "-", RewriteOptions.defaults());
      assertEquals(GPT2_SAVED, report.result().bytesSaved());
      assertArrayEquals(memory.toByteArray(), streamed.toByteArray());
      // stream to a file: the same bytes as a rewrite of the file
      Path file = dir.resolve("from-stream.onnx");
      RewriteReport toFile = OnnxTie.rewrite(model, "-", file, RewriteOptions.defaults());
      assertEquals(List.of(file.toString()), toFile.written());
      Path direct = dir.resolve("direct.onnx");
      OnnxTie.rewrite(GPT2, direct, RewriteOptions.defaults());
      assertArrayEquals(Files.readAllBytes(direct), Files.readAllBytes(file));
      assertArrayEquals(Files.readAllBytes(direct), streamed.toByteArray());
      // a stream cannot be verified: ONNX Runtime loads files
      OnnxTieException refused =
          assertThrows(
              OnnxTieException.class,
              () ->
                  OnnxTie.rewrite(
                      model,
                      "-",
                      new ByteArrayOutputStream(),
                      "-",
                      RewriteOptions.defaults().withVerify(VerifySettings.defaults())));
      assertEquals(OnnxTieException.BAD_INPUT, refused.exitCode());
    }
    try (Model file = OnnxTie.read(GPT2)) {
      assertEquals(GPT2, file.source());
      assertEquals(inspected.duplicates(), OnnxTie.inspect(file, "-", 64).duplicates());
    }
  }

  @Test
  void aNewerIrIsReadOnlyWhileAllowed() throws Exception {
    byte[] bytes = Files.readAllBytes(GPT2);
    assertEquals(0x08, bytes[0], "field 1, ir_version, comes first");
    assertEquals(7, bytes[1]);
    bytes[1] = 0x7f; // IR version 127
    OnnxTieException tooNew =
        assertThrows(OnnxTieException.class, () -> OnnxTie.read(stream(bytes), "new").close());
    assertEquals(OnnxTieException.BAD_INPUT, tooNew.exitCode());
    try (NewerIrSetting allowed = OnnxTie.allowNewerIr(true);
        Model model = OnnxTie.read(stream(bytes), "new")) {
      assertEquals(127, model.irVersion());
    }
    assertThrows(OnnxTieException.class, () -> OnnxTie.read(stream(bytes), "new").close());
  }

  static InputStream stream(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }

  @Test
  void foldersInspectCheckAndRewrite() throws Exception {
    List<Path> models = OnnxTie.modelsIn(SPLIT);
    assertEquals(
        List.of("decoder_model.onnx", "decoder_with_past_model.onnx", "encoder_model.onnx"),
        models.stream().map(model -> model.getFileName().toString()).toList());
    List<CrossFileGroup> across = OnnxTie.acrossFiles(models, 64);
    assertFalse(across.isEmpty(), "the exports share their embedding");
    FolderInspectReport all = OnnxTie.inspectAll(models, 64, 2, Progress.NONE);
    assertEquals(3, all.models().size());
    assertEquals(across, all.acrossFiles());
    assertTrue(all.bytesAfterShared() < all.bytesBefore(), all.toString());
    // check: one overload per set of options, the same verdict
    CheckReport check = OnnxTie.check(models, 64, true, 1, Progress.NONE);
    assertFalse(check.passed());
    assertEquals(check, OnnxTie.check(models, 64, true, false, 1, Progress.NONE));
    assertEquals(
        check.wastedBytes(),
        OnnxTie.check(List.of(SPLIT), models, 64, true, false, 1, Progress.NONE).wastedBytes());
    assertTrue(check.wastedBytes() > 0);
    // the rewrite of the folder
    Path out = dir.resolve("split-tied");
    FolderRewriteReport rewritten =
        OnnxTie.rewriteFolder(SPLIT, out, RewriteOptions.defaults(), null, 2, Progress.NONE);
    assertEquals(3, rewritten.models().size());
    assertTrue(rewritten.bytesAfter() < rewritten.bytesBefore(), rewritten.toString());
    assertEquals(3, OnnxTie.modelsIn(out).size());
    // an HTML report of it
    Path page = dir.resolve("report.html");
    Map<String, GraphOutline> before =
        Map.of(models.get(0).toString(), GraphOutline.of(models.get(0)));
    Map<String, GraphOutline> after =
        Map.of(
            models.get(0).toString(),
            GraphOutline.afterRewrite(models.get(0), RewriteOptions.defaults()));
    OnnxTie.writeHtmlReport(
        "rewrite of seq2seq_split",
        "onnx-tie rewrite " + OnnxTie.shellWord(SPLIT.toString()) + " out",
        List.of("OK"),
        rewritten,
        true,
        before,
        after,
        page);
    String html = Files.readString(page);
    assertTrue(html.contains("rewrite of seq2seq_split"), html.substring(0, 200));
    assertTrue(html.contains("decoder_model.onnx"));
  }

  @Test
  void checkSuggestsTheRewriteThatFixesIt() {
    CheckReport check = OnnxTie.check(List.of(GPT2), 64, false, 1, Progress.NONE);
    assertFalse(check.passed());
    // what the rewrite saves on disk: the copy, less the Transpose node that replaces it
    assertTrue(
        check.wastedBytes() > GPT2_SAVED - 1000 && check.wastedBytes() < GPT2_SAVED,
        check.toString());
    assertTrue(check.fix().startsWith("onnx-tie rewrite " + GPT2), check.fix());
  }

  @Test
  void namesAndShellWords() {
    assertEquals("plain/path.onnx", OnnxTie.shellWord("plain/path.onnx"));
    assertEquals("'two words'", OnnxTie.shellWord("two words"));
    assertEquals("'it'\\''s'", OnnxTie.shellWord("it's"));
    assertEquals("m-tied.onnx", OnnxTie.tiedName(Path.of("m.onnx")));
    assertEquals("exported-tied", OnnxTie.tiedName(Path.of("exported"), null));
    assertEquals(
        dir.resolve("m-tied.onnx").toString(), OnnxTie.tiedName(dir.resolve("m.onnx"), null));
    OnnxTieException none =
        assertThrows(OnnxTieException.class, () -> OnnxTie.modelsIn(dir.resolve("missing")));
    assertEquals(OnnxTieException.BAD_INPUT, none.exitCode());
  }

  @Test
  void insertATiedDecoderVerified() throws Exception {
    Path out = dir.resolve("ae.onnx");
    InsertReport report =
        OnnxTie.insert(
            KERAS,
            out,
            new InsertRequest(
                "/dense/Gemm", null, "same", null, null, false, VerifySettings.defaults()));
    assertTrue(report.changes() > 0, report.toString());
    assertTrue(report.verification().passed(), report.verification().toString());
    assertEquals(out.toString(), report.output());
    InspectReport inspected = OnnxTie.inspect(out, 64);
    assertEquals(0, inspected.duplicates().size(), "the decoder reads the encoder's own weight");
    assertEquals(2, inspected.outputs().size(), "the decoded output is added");
    // without verification
    Path plain = dir.resolve("plain.onnx");
    InsertReport unverified =
        OnnxTie.insert(
            KERAS, plain, new InsertRequest("/dense/Gemm", null, "same", null, null, false, null));
    assertNull(unverified.verification());
    assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(plain));
  }

  @Test
  void compareAgainstExpectedOutputs() {
    Verification report =
        OnnxTie.compareExpected(
            ADD.resolve("model.onnx"), ADD.resolve("test_data_set_0"), VerifySettings.defaults());
    assertTrue(report.passed(), report.toString());
    assertEquals(1, report.runs().size());
    assertTrue(report.elementsCompared() > 0);
  }

  @Test
  void badSettingsNameTheOptionToFix() {
    OnnxTieException runs =
        assertThrows(
            OnnxTieException.class, () -> VerifySettings.defaults().withRuns(0).validated());
    assertTrue(runs.getMessage().contains("--runs"), runs.getMessage());
    OnnxTieException provider =
        assertThrows(
            OnnxTieException.class,
            () -> OnnxTie.compare(GPT2, GPT2, VerifySettings.defaults().withProvider("tpu")));
    assertEquals(
        "unknown --provider 'tpu'; valid: " + String.join(", ", VerifySettings.PROVIDERS),
        provider.getMessage());
    assertEquals(List.of("transpose", "gemm"), RewriteOptions.FORMS);
  }
}
