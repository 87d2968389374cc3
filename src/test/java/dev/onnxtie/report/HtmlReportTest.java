package dev.onnxtie.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.GraphOutline.NodeOutline;
import dev.onnxtie.api.GraphOutline.TensorOutline;
import dev.onnxtie.cli.JsonOutput;
import dev.onnxtie.proto.Onnx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rewrite --report} and {@code report A B}: what the page says, checked against --json and
 * the models.
 */
class HtmlReportTest {
  static final Path GPT2 = TestModels.samples().resolve("gpt2_tied/model.onnx");

  @TempDir Path dir;

  /** The rewrite's --json and its --report, from one run. */
  record Both(JsonObject result, ReportPage page) {}

  Both rewrite(String... args) throws Exception {
    Path html = dir.resolve("report-" + System.nanoTime() + ".html");
    List<String> all = new ArrayList<>(List.of("rewrite"));
    all.addAll(List.of(args));
    all.addAll(List.of("--json", "--report", html.toString()));
    Cli run = Cli.run(all.toArray(String[]::new));
    assertEquals(0, run.code(), run.err());
    return new Both(
        JsonOutput.envelope(run).getAsJsonObject("result"),
        ReportPage.parse(Files.readString(html)));
  }

  /** Every size on the page is the JSON's, field by field, model by model. */
  static void assertBytesAgree(JsonObject result, ReportPage page) {
    JsonArray models = result.getAsJsonArray("models");
    List<Long> before = new ArrayList<>();
    List<Long> after = new ArrayList<>();
    List<Long> saved = new ArrayList<>();
    List<Long> ties = new ArrayList<>();
    long allSaved = 0;
    for (JsonElement element : models) {
      JsonObject model = element.getAsJsonObject();
      before.add(model.get("bytesBefore").getAsLong());
      if (!model.get("bytesAfter").isJsonNull()) {
        after.add(model.get("bytesAfter").getAsLong());
      }
      long modelSaved = 0;
      for (JsonElement tie : model.getAsJsonObject("result").getAsJsonArray("ties")) {
        ties.add(tie.getAsJsonObject().get("bytes").getAsLong());
        modelSaved +=
            tie.getAsJsonObject().get("outcome").getAsString().equals("not tied")
                ? 0
                : tie.getAsJsonObject().get("bytes").getAsLong();
      }
      saved.add(modelSaved);
      allSaved += modelSaved;
    }
    if (models.size() > 1) { // a folder: the total row, after the models
      before.add(result.get("bytesBefore").getAsLong());
      if (!result.get("bytesAfter").isJsonNull()) {
        after.add(result.get("bytesAfter").getAsLong());
      }
      saved.add(allSaved);
    }
    assertEquals(before, page.field("bytes-before"));
    assertEquals(after, page.field("bytes-after"));
    assertEquals(saved, page.field("tensor-bytes-saved"));
    assertEquals(ties, page.field("tie-bytes"));
    assertEquals(List.of(allSaved), page.field("saved"), "the summary line");
  }

  @Test
  void gpt2ReportAgreesWithTheJsonAndDrawsTheTransposeTie() throws Exception {
    Both both = rewrite(GPT2.toString(), dir.resolve("tied.onnx").toString(), "--verify");
    assertBytesAgree(both.result(), both.page());
    JsonObject verification =
        both.result()
            .getAsJsonArray("models")
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("verification");
    assertTrue(
        both.page()
            .html()
            .contains(
                "data-elements=\"" + verification.get("elementsCompared").getAsLong() + "\""));
    assertEquals(1, both.page().ties().size());
    ReportPage.Tie tie = both.page().ties().get(0);
    assertEquals(
        Map.of(
            "kept",
            "wte.weight",
            "removed",
            "onnx::MatMul_393",
            "relation",
            "transpose",
            "form",
            "transpose",
            "outcome",
            "tied"),
        tie.data());
    assertTrue(
        tie.labels(tie.before())
            .containsAll(List.of("wte.weight", "onnx::MatMul_393", "MatMul", "Gather")),
        tie.before().toString());
    assertTrue(
        tie.labels(tie.after()).containsAll(List.of("wte.weight", "Transpose", "MatMul", "Gather")),
        tie.after().toString());
    assertFalse(
        tie.labels(tie.after()).contains("onnx::MatMul_393"), "the removed tensor is gone after");
    assertEquals(
        List.of("Transpose"),
        tie.after().stream()
            .filter(ReportPage.Vertex::added)
            .map(ReportPage.Vertex::label)
            .toList(),
        "the Transpose is the one node the rewrite added");
    assertTrue(tie.text().contains("transpose [1, 0]"), tie.text());
    assertTrue(
        both.page().html().contains("float</td><td>[1000, 64]"),
        "the kept tensor's dtype and shape");
    assertTrue(
        both.page().html().contains("logits") && both.page().html().contains("bitwise identical"),
        "the verified output");
    assertFalse(
        both.page().html().contains("<tr class=\"histogram\""),
        "no histogram for a bitwise-identical output");
  }

  @Test
  void quantizedHeadShowsTheReshapeTie() throws Exception {
    Path in = TestModels.samples().resolve("quantized_head/scales2d_zp.onnx");
    Both both = rewrite(in.toString(), dir.resolve("tied.onnx").toString());
    assertBytesAgree(both.result(), both.page());
    ReportPage.Tie reshape =
        both.page().ties().stream()
            .filter(t -> t.data().get("removed").endsWith("weight_Q4"))
            .findFirst()
            .orElseThrow();
    assertEquals("reshape", reshape.data().get("relation"));
    assertTrue(reshape.text().contains("reshape to [512, 4, 16]"), reshape.text());
    assertTrue(
        reshape.before().stream()
            .anyMatch(
                v ->
                    v.label().equals("lm_head.MatMul.weight_Q4")
                        && v.classes().contains("removed")));
    assertTrue(
        reshape.after().stream().anyMatch(v -> v.label().equals("Reshape") && v.added()),
        reshape.after().toString());
    assertTrue(
        reshape.after().stream().anyMatch(v -> v.label().equals("com.microsoft.MatMulNBits")),
        reshape.after().toString());
  }

  @Test
  void dynamoTiedWithFormGemmShowsTheGemm() throws Exception {
    Path in = TestModels.samples().resolve("dynamo_tied/model.onnx");
    Both both = rewrite(in.toString(), dir.resolve("tied.onnx").toString(), "--form", "gemm");
    assertBytesAgree(both.result(), both.page());
    ReportPage.Tie tie = both.page().ties().get(0);
    assertEquals("gemm-existing", tie.data().get("form"));
    assertTrue(
        tie.labels(tie.before()).containsAll(List.of("Transpose", "MatMul")),
        tie.before().toString());
    assertTrue(
        tie.after().stream().anyMatch(v -> v.label().equals("Gemm") && v.added()),
        tie.after().toString());
    assertFalse(tie.labels(tie.after()).contains("Transpose"), tie.after().toString());
  }

  @Test
  void aFolderWithSharedDataShowsEveryModelTheDataFileAndTheTotal() throws Exception {
    Path split = TestModels.samples().resolve("seq2seq_split");
    Path in = Files.createDirectories(dir.resolve("in"));
    try (Stream<Path> models = Files.list(split)) {
      for (Path model : models.toList()) {
        Files.copy(model, in.resolve(model.getFileName()));
      }
    }
    Both both = rewrite(in.toString(), dir.resolve("out").toString(), "--shared-data");
    assertBytesAgree(both.result(), both.page());
    assertTrue(
        both.page()
            .html()
            .contains("id=\"shared-data\">" + both.result().get("sharedData").getAsString()),
        "the shared data file");
    assertEquals(
        both.result().getAsJsonArray("models").size(),
        both.page().html().split("<tr class=\"model\"", -1).length - 1);
    assertFalse(both.page().ties().isEmpty());
    for (ReportPage.Tie tie : both.page().ties()) {
      assertTrue(
          tie.labels(tie.before())
              .containsAll(List.of(tie.data().get("kept"), tie.data().get("removed"))),
          tie.before().toString());
      assertTrue(tie.labels(tie.after()).contains(tie.data().get("kept")), tie.after().toString());
    }
  }

  @Test
  void aDryRunDrawsTheRewriteInMemoryAndWritesNoModel() throws Exception {
    Path out = dir.resolve("tied.onnx");
    Both both = rewrite(GPT2.toString(), out.toString(), "--dry-run");
    assertFalse(Files.exists(out));
    assertBytesAgree(both.result(), both.page());
    ReportPage.Tie tie = both.page().ties().get(0);
    assertEquals("would tie", tie.data().get("outcome"));
    assertTrue(
        tie.after().stream().anyMatch(v -> v.label().equals("Transpose") && v.added()),
        tie.after().toString());
    assertTrue(both.page().html().contains("nothing written (dry run)"));
  }

  @Test
  void aRewriteInPlaceDrawsTheModelAsItWasBefore() throws Exception {
    Path model = Files.copy(GPT2, dir.resolve("model.onnx"));
    Both both = rewrite(model.toString(), model.toString());
    ReportPage.Tie tie = both.page().ties().get(0);
    assertTrue(
        tie.labels(tie.before()).contains("onnx::MatMul_393"),
        "before is the input, read before it was replaced");
  }

  @Test
  void theCommandLineAndTheNotesItPrintedAreShown() throws Exception {
    Path html = dir.resolve("r.html");
    Cli run =
        Cli.run(
            "rewrite",
            GPT2.toString(),
            dir.resolve("o.onnx").toString(),
            "--jobs",
            "2",
            "--report",
            html.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.err().contains("--jobs applies to folders only"), run.err());
    assertTrue(run.out().contains("report: " + html), run.out());
    String page = Files.readString(html);
    assertTrue(
        page.contains("<li class=\"note\">note: --jobs applies to folders only; ignored</li>"),
        page);
    assertTrue(
        page.contains(
            "<code id=\"command-line\">onnx-tie rewrite "
                + GPT2
                + " "
                + dir.resolve("o.onnx")
                + " --jobs 2 --report "
                + html
                + "</code>"),
        page);
  }

  @Test
  void hostileNamesAreEscapedEverywhere() throws Exception {
    Path in = TestModels.save(HostileNames.model(), dir.resolve("hostile.onnx"));
    Path html = dir.resolve("r.html");
    Cli run =
        Cli.run(
            "rewrite",
            in.toString(),
            dir.resolve("o.onnx").toString(),
            "--min-bytes",
            "0",
            "--report",
            html.toString());
    assertEquals(0, run.code(), run.err());
    String page = Files.readString(html);
    ReportPage parsed = ReportPage.parse(page);
    assertEquals(1, parsed.ties().size(), page);
    ReportPage.Tie tie = parsed.ties().get(0);
    assertEquals(
        Set.of(HostileNames.A, HostileNames.B),
        Set.of(tie.data().get("kept"), tie.data().get("removed")));
    assertTrue(
        tie.labels(tie.before()).containsAll(List.of(HostileNames.A, HostileNames.B)),
        tie.before().toString());
    assertTrue(
        tie.before().stream()
            .anyMatch(v -> v.detail().equals(HostileNames.NODE.replace("\u0007", "\ufffd"))),
        tie.before().toString());
    String lower = page.toLowerCase(Locale.ROOT);
    assertFalse(lower.contains("<script"), "no script element");
    assertFalse(lower.contains("<img"), "no image element");
    assertFalse(lower.contains("<b "), "no b element");
    assertFalse(page.contains("\u0007"), "no control character");
    assertTrue(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the name as text");
  }

  @Test
  void theReportCommandComparesTwoExistingModels() throws Exception {
    Path tied = dir.resolve("tied.onnx");
    assertEquals(0, Cli.run("rewrite", GPT2.toString(), tied.toString(), "--form", "gemm").code());
    Path html = dir.resolve("r.html");
    Cli run = Cli.run("report", GPT2.toString(), tied.toString(), "-o", html.toString());
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("1 tie"), run.out());
    ReportPage page = ReportPage.parse(Files.readString(html));
    assertEquals(List.of(Files.size(GPT2)), page.field("bytes-before"));
    assertEquals(List.of(Files.size(tied)), page.field("bytes-after"));
    ReportPage.Tie tie = page.ties().get(0);
    assertEquals("tied", tie.data().get("outcome"));
    assertEquals("gemm", tie.data().get("form"), "the form B shows");
    assertTrue(
        tie.after().stream().anyMatch(v -> v.label().equals("Gemm") && v.added()),
        tie.after().toString());
    // a model against itself: the duplicate is still there
    Cli same = Cli.run("report", GPT2.toString(), GPT2.toString(), "-o", html.toString());
    assertEquals(0, same.code(), same.err());
    ReportPage untied = ReportPage.parse(Files.readString(html));
    assertEquals("not tied", untied.ties().get(0).data().get("outcome"));
    assertTrue(
        untied.ties().get(0).text().contains("B still holds onnx::MatMul_393"),
        untied.ties().get(0).text());
  }

  @Test
  void aReportThatCannotBeWrittenIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path out = dir.resolve("tied.onnx");
    Cli missing =
        Cli.run(
            "rewrite",
            GPT2.toString(),
            out.toString(),
            "--report",
            dir.resolve("no/such/r.html").toString());
    assertEquals(2, missing.code(), missing.err());
    assertTrue(missing.err().contains("--report"), missing.err());
    assertFalse(Files.exists(out), "no model written");
    Cli folder = Cli.run("rewrite", GPT2.toString(), out.toString(), "--report", dir.toString());
    assertEquals(2, folder.code(), folder.err());
    assertFalse(Files.exists(out), "no model written");
    Cli streams =
        Cli.run(
            "rewrite",
            GPT2.toString(),
            "-",
            "--dry-run",
            "--report",
            dir.resolve("r.html").toString());
    assertEquals(2, streams.code(), streams.err());
    assertEquals(1, missing.errLines(), missing.err());
    assertEquals(1, streams.errLines(), streams.err());
    Cli overModel = Cli.run("rewrite", GPT2.toString(), out.toString(), "--report", out.toString());
    assertEquals(2, overModel.code(), overModel.err());
    assertTrue(overModel.err().contains("is also a model of this command"), overModel.err());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing left behind");
    }
    Path copy = Files.copy(GPT2, dir.resolve("copy.onnx"));
    Cli overInput = Cli.run("report", GPT2.toString(), copy.toString(), "-o", copy.toString());
    assertEquals(2, overInput.code(), overInput.err());
    assertArrayEquals(
        Files.readAllBytes(GPT2), Files.readAllBytes(copy), "the model is left alone");
  }

  /** A copy of a samples/ folder under the test's folder. */
  Path copyOfSample(String name, String as) throws Exception {
    Path copy = Files.createDirectories(dir.resolve(as));
    try (Stream<Path> files = Files.list(TestModels.samples().resolve(name))) {
      for (Path file : files.toList()) {
        Files.copy(file, copy.resolve(file.getFileName()));
      }
    }
    return copy;
  }

  /** Every file under the folder with its bytes, by relative path. */
  static Map<String, String> contents(Path folder) throws Exception {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        all.put(
            folder.relativize(file).toString(),
            HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
      }
    }
    return all;
  }

  /**
   * Exit 2, one line naming the report file and the clash, and not one byte changed under {@code
   * dir}.
   */
  void refused(String clash, String... args) throws Exception {
    Map<String, String> before = contents(dir);
    Cli run = Cli.run(args);
    assertEquals(2, run.code(), String.join(" ", args) + ": " + run.err());
    assertEquals(1, run.errLines(), run.err());
    assertTrue(
        run.err().contains(clash) && run.err().contains("give the report"),
        String.join(" ", args) + ": " + run.err());
    assertEquals(
        before,
        contents(dir),
        String.join(" ", args) + ": every input and output as it was, nothing added");
  }

  @Test
  void aReportOverADataFileOrAModelOfAFolderIsRefused() throws Exception {
    Path external = copyOfSample("gpt2_external", "gpt2_external");
    Path model = external.resolve("model.onnx");
    Path data = external.resolve("model.onnx.data");
    Path out = dir.resolve("ge.onnx");
    // the input's data file
    refused(
        "is the data file",
        "rewrite",
        model.toString(),
        out.toString(),
        "--report",
        data.toString());
    refused(
        "is the data file", "report", model.toString(), model.toString(), "-o", data.toString());
    // the output's data file, by the name the writer gives it: OUT.data, --external-data FILE
    refused(
        "may write its external data to",
        "rewrite",
        model.toString(),
        out.toString(),
        "--report",
        dir.resolve("ge.onnx.data").toString());
    refused(
        "may write its external data to",
        "rewrite",
        model.toString(),
        out.toString(),
        "--external-data",
        "w.bin",
        "--report",
        dir.resolve("w.bin").toString());
    // ... and once written, the data file the output reads
    assertEquals(0, Cli.run("rewrite", model.toString(), out.toString()).code());
    assertTrue(Files.exists(dir.resolve("ge.onnx.data")), "the output has external data");
    refused(
        "is the data file",
        "report",
        model.toString(),
        out.toString(),
        "-o",
        dir.resolve("ge.onnx.data").toString());
    refused(
        "is the data file",
        "rewrite",
        out.toString(),
        dir.resolve("ge2.onnx").toString(),
        "--report",
        dir.resolve("ge.onnx.data").toString());
    // a link to the data file is the data file
    Path link = Files.createSymbolicLink(dir.resolve("link.html"), data);
    refused(
        "is the data file",
        "rewrite",
        model.toString(),
        dir.resolve("ge3.onnx").toString(),
        "--report",
        link.toString());
    Files.delete(link);

    Path split = copyOfSample("seq2seq_split", "f");
    Path encoder = split.resolve("encoder_model.onnx");
    // a model inside the input folder, and any file inside the output folder
    refused(
        "is also a model of this command",
        "rewrite",
        split.toString(),
        dir.resolve("f-out").toString(),
        "--report",
        encoder.toString());
    assertEquals(
        0,
        Cli.run("rewrite", split.toString(), dir.resolve("f-out").toString(), "--shared-data")
            .code());
    refused(
        "is inside the output folder",
        "rewrite",
        split.toString(),
        dir.resolve("f-out").toString(),
        "--shared-data",
        "--report",
        dir.resolve("f-out/shared.onnx.data").toString());
    refused(
        "is inside the output folder",
        "rewrite",
        split.toString(),
        dir.resolve("f-out").toString(),
        "--report",
        dir.resolve("f-out/r.html").toString());
    refused(
        "is also a model of this command",
        "report",
        encoder.toString(),
        dir.resolve("f-out/encoder_model.onnx").toString(),
        "-o",
        dir.resolve("f-out/encoder_model.onnx").toString());
    refused(
        "is the data file",
        "report",
        encoder.toString(),
        dir.resolve("f-out/encoder_model.onnx").toString(),
        "-o",
        dir.resolve("f-out/shared.onnx.data").toString());

    // a report of its own name beside them is written, and written again over itself
    Path html = external.resolve("report.html");
    assertEquals(
        0,
        Cli.run(
                "rewrite",
                model.toString(),
                dir.resolve("ge4.onnx").toString(),
                "--report",
                html.toString())
            .code());
    Cli again =
        Cli.run(
            "report", model.toString(), dir.resolve("ge4.onnx").toString(), "-o", html.toString());
    assertEquals(0, again.code(), again.err());
  }

  @Test
  void theSamePageTwiceAndNoTemporaryFileLeft() throws Exception {
    Path html = dir.resolve("r.html");
    String[] args = {
      "rewrite", GPT2.toString(), dir.resolve("o.onnx").toString(), "--report", html.toString()
    };
    assertEquals(0, Cli.run(args).code());
    byte[] first = Files.readAllBytes(html);
    assertEquals(0, Cli.run(args).code());
    assertEquals(
        new String(first, StandardCharsets.UTF_8), Files.readString(html), "deterministic");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          List.of("o.onnx", "r.html"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  /**
   * y = x W and c = x * 0 + C, with B's W 1e-3 larger on some elements and B's C off by known
   * amounts: 0.5, 3e-5, 2999 and a NaN on four of its 64 elements.
   */
  static Path differingModel(Path file, boolean b) {
    float[] w = TestModels.randomFloats(7, 16 * 8);
    float[] c = new float[4 * 16];
    Arrays.fill(c, 1f);
    if (b) {
      for (int i = 0; i < w.length; i += 5) {
        w[i] += 1e-3f;
      }
      c[3] = 1.5f;
      c[17] = 1.00003f;
      c[40] = 3000f;
      c[63] = Float.NaN;
    }
    Onnx.GraphProto graph =
        Onnx.GraphProto.newBuilder()
            .setName("differ")
            .addNode(TestModels.node("MatMul", "mm", List.of("x", "W"), List.of("y")))
            .addNode(TestModels.node("Mul", "zero", List.of("x", "Z"), List.of("x0")))
            .addNode(TestModels.node("Add", "add", List.of("x0", "C"), List.of("c")))
            .addInitializer(TestModels.floats("W", w, 16, 8))
            .addInitializer(TestModels.floats("Z", new float[] {0f}))
            .addInitializer(TestModels.floats("C", c, 4, 16))
            .addInput(TestModels.value("x", 1, 4, 16))
            .addOutput(TestModels.value("y", 1, 4, 8))
            .addOutput(TestModels.value("c", 1, 4, 16))
            .build();
    return TestModels.save(TestModels.model(graph), file);
  }

  /** The histogram rows of a page: output name to its bins' label and count, in page order. */
  static Map<String, List<String>> pageHistograms(String html) {
    Map<String, List<String>> histograms = new LinkedHashMap<>();
    Matcher row =
        Pattern.compile(
                "<tr class=\"histogram\" data-output=\"([^\"]*)\" data-run=\"0\">(.*?)</tr>")
            .matcher(html);
    while (row.find()) {
      List<String> bins = new ArrayList<>();
      Matcher bin =
          Pattern.compile("<g class=\"bin [a-z]+\" data-label=\"([^\"]*)\" data-count=\"(\\d+)\"")
              .matcher(row.group(2));
      while (bin.find()) {
        bins.add(ReportPage.unescape(bin.group(1)) + "=" + bin.group(2));
      }
      histograms.put(ReportPage.unescape(row.group(1)), bins);
    }
    return histograms;
  }

  @Test
  void outputsThatDifferShowTheHistogramOfTheJson() throws Exception {
    Path a = differingModel(dir.resolve("a.onnx"), false);
    Path b = differingModel(dir.resolve("b.onnx"), true);
    Cli verify = Cli.run("verify", a.toString(), b.toString(), "--json");
    assertEquals(1, verify.code(), verify.err()); // c's NaN is a mismatch
    Path html = dir.resolve("r.html");
    Cli report = Cli.run("report", a.toString(), b.toString(), "-o", html.toString(), "--verify");
    assertEquals(1, report.code(), report.err());
    Map<String, List<String>> page = pageHistograms(Files.readString(html));
    JsonArray outputs =
        JsonOutput.envelope(verify)
            .getAsJsonObject("result")
            .getAsJsonArray("runs")
            .get(0)
            .getAsJsonObject()
            .getAsJsonArray("outputs");
    Map<String, List<String>> json = new LinkedHashMap<>();
    for (JsonElement element : outputs) {
      JsonObject output = element.getAsJsonObject();
      assertFalse(output.get("bitwiseIdentical").getAsBoolean(), output.toString());
      long sum = 0;
      List<String> bins = new ArrayList<>();
      for (JsonElement bin : output.getAsJsonArray("histogram")) {
        sum += bin.getAsJsonObject().get("count").getAsLong();
        bins.add(
            bin.getAsJsonObject().get("label").getAsString()
                + "="
                + bin.getAsJsonObject().get("count").getAsLong());
      }
      assertEquals(
          output.get("elements").getAsLong(), sum, "the bins hold every element of " + output);
      json.put(output.get("name").getAsString(), bins);
    }
    assertEquals(json, page, "the page draws the JSON's counts");
    // c = x * 0 + C: |A - B| is exactly B's offsets
    List<String> c = json.get("c").stream().filter(bin -> !bin.endsWith("=0")).toList();
    assertEquals(List.of("0=60", "1e-5=1", "1e-1=1", ">=1e3=1", "NaN/Inf=1"), c);
    // y = x W: B's W is 1e-3 larger on a fifth of its elements, x in [-1, 1): some outputs move,
    // none by 0.1
    List<String> y = json.get("y");
    assertEquals(19, y.size());
    assertTrue(y.subList(13, 19).stream().allMatch(bin -> bin.endsWith("=0")), y.toString());
    assertTrue(y.subList(1, 13).stream().anyMatch(bin -> !bin.endsWith("=0")), y.toString());
    assertTrue(Files.readString(html).contains("<svg class=\"histogram\""), "drawn as SVG");
  }

  @Test
  void theNeighbourhoodIsBounded() {
    // W read by 40 MatMuls, each read by a Relu: far more than a drawing holds
    List<NodeOutline> nodes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      nodes.add(new NodeOutline("mm" + i, "MatMul", "main", List.of("x", "W"), List.of("y" + i)));
      nodes.add(new NodeOutline("relu" + i, "Relu", "main", List.of("y" + i), List.of("z" + i)));
    }
    nodes.add(new NodeOutline("head", "MatMul", "main", List.of("h", "W_t"), List.of("logits")));
    GraphOutline outline =
        new GraphOutline(
            "m",
            nodes,
            List.of(
                new TensorOutline("W", "main", "float", List.of(4L, 8L)),
                new TensorOutline("W_t", "main", "float", List.of(8L, 4L))));
    Neighbourhood.Graph graph =
        Neighbourhood.of(new Neighbourhood.Index(outline), Map.of("W", "kept"), null);
    assertEquals(Neighbourhood.MAX_VERTICES, graph.vertices().size(), graph.vertices().toString());
    long matmuls = graph.vertices().stream().filter(v -> v.label().equals("MatMul")).count();
    assertEquals(
        Neighbourhood.MAX_VERTICES - 2, matmuls, "W, the MatMuls that fit, and one +k more vertex");
    Neighbourhood.Vertex more =
        graph.vertices().stream()
            .filter(v -> v.kind() == Neighbourhood.Kind.MORE)
            .findFirst()
            .orElseThrow();
    assertEquals("+" + (40 - matmuls) + " more", more.label());
    // the Relus (depth 2) of the drawn MatMuls find no room: counted, as the MatMuls left out are
    assertEquals(40, graph.omitted());
    String svg = GraphDrawing.svg(graph, "bounded");
    assertTrue(svg.contains("data-label=\"" + more.label() + "\""), svg);
  }
}
