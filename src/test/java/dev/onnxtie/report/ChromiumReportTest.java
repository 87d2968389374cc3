package dev.onnxtie.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.onnxtie.Cli;
import dev.onnxtie.TestModels;
import dev.onnxtie.cli.JsonOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report as a browser shows it: headless Chromium opens the page from disk, logs no console
 * message (a script, or a fetch the page's Content-Security-Policy refuses, would log one), and its
 * DOM holds each tie's graphs with their labels and the sizes the JSON holds. The screenshots stay
 * under target/report-screenshots for people to look at.
 */
class ChromiumReportTest {
  static final Path SCREENSHOTS = Path.of("target", "report-screenshots");

  @TempDir Path dir;

  /**
   * Runs {@code rewrite ... --json --report}, opens the page, and checks what every page must show.
   */
  ReportPage openReportOf(String name, String... args) throws Exception {
    Path html = dir.resolve(name + ".html");
    List<String> all = new ArrayList<>(List.of("rewrite"));
    all.addAll(List.of(args));
    all.addAll(List.of("--json", "--report", html.toString()));
    Cli run = Cli.run(all.toArray(String[]::new));
    assertEquals(0, run.code(), run.err());
    JsonObject result = JsonOutput.envelope(run).getAsJsonObject("result");
    Path screenshot = SCREENSHOTS.resolve(name + ".png");
    Files.deleteIfExists(screenshot);
    Chromium.Page page =
        Chromium.open(html, screenshot, Files.createDirectories(dir.resolve("chromium-" + name)));
    assertEquals(List.of(), page.console(), "console messages");
    assertTrue(Files.size(screenshot) > 10_000, "a screenshot with something on it");
    ReportPage dom = ReportPage.parse(page.dom());
    HtmlReportTest.assertBytesAgree(result, dom);
    assertFalse(dom.ties().isEmpty());
    for (ReportPage.Tie tie : dom.ties()) {
      assertTrue(
          tie.labels(tie.before())
              .containsAll(List.of(tie.data().get("kept"), tie.data().get("removed"))),
          tie.before().toString());
      assertTrue(tie.labels(tie.after()).contains(tie.data().get("kept")), tie.after().toString());
      assertFalse(
          tie.labels(tie.after()).contains(tie.data().get("removed")), tie.after().toString());
    }
    return dom;
  }

  @Test
  void gpt2TiedInTheBrowser() throws Exception {
    ReportPage dom =
        openReportOf(
            "gpt2_tied",
            TestModels.samples().resolve("gpt2_tied/model.onnx").toString(),
            dir.resolve("tied.onnx").toString(),
            "--verify");
    ReportPage.Tie tie = dom.ties().get(0);
    assertTrue(
        tie.labels(tie.before())
            .containsAll(List.of("onnx::MatMul_393", "MatMul", "wte.weight", "Gather", "Add")),
        tie.before().toString());
    assertTrue(
        tie.labels(tie.after()).containsAll(List.of("wte.weight", "Transpose", "MatMul", "Gather")),
        tie.after().toString());
    assertTrue(dom.html().contains("bitwise identical"), "the verification table");
  }

  @Test
  void aFolderRewriteInTheBrowser() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    try (Stream<Path> models = Files.list(TestModels.samples().resolve("seq2seq_split"))) {
      for (Path model : models.toList()) {
        Files.copy(model, in.resolve(model.getFileName()));
      }
    }
    ReportPage dom =
        openReportOf(
            "seq2seq_split_folder", in.toString(), dir.resolve("out").toString(), "--shared-data");
    long models;
    try (Stream<Path> files = Files.list(in)) {
      models = files.filter(file -> file.toString().endsWith(".onnx")).count();
    }
    assertEquals(models + 1, dom.field("bytes-before").size(), "every model and the total");
  }

  @Test
  void hostileNamesLogNothingInTheBrowser() throws Exception {
    Path model = TestModels.save(HostileNames.model(), dir.resolve("hostile.onnx"));
    Path html = dir.resolve("hostile.html");
    assertEquals(
        0,
        Cli.run(
                "rewrite",
                model.toString(),
                dir.resolve("o.onnx").toString(),
                "--min-bytes",
                "0",
                "--report",
                html.toString())
            .code());
    Chromium.Page page =
        Chromium.open(html, null, Files.createDirectories(dir.resolve("chromium")));
    assertEquals(List.of(), page.console(), "console messages");
    ReportPage.Tie tie = ReportPage.parse(page.dom()).ties().get(0);
    assertTrue(
        tie.labels(tie.before()).containsAll(List.of(HostileNames.A, HostileNames.B)),
        tie.before().toString());
    // the check above can fail: the same page with one unescaped name logs the refused script
    Path unescaped = dir.resolve("unescaped.html");
    Files.writeString(
        unescaped,
        Files.readString(html).replace("&lt;script&gt;alert(1)&lt;/script&gt;", HostileNames.A));
    assertFalse(
        Chromium.open(unescaped, null, Files.createDirectories(dir.resolve("chromium-unescaped")))
            .console()
            .isEmpty(),
        "an unescaped script element is refused, and the refusal is logged");
  }
}
