package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.Units;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.Verification;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code onnx-tie report A B -o report.html}: the HTML report of what tying made of A in B, for two
 * existing models.
 */
final class ReportCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command(
          "report",
          this,
          "Write the HTML report of two existing models, A and its rewrite B: the bytes on disk of each, every duplicate of A that B "
              + "no longer holds with its graph neighbourhood in A and in B, and with --verify both run in ONNX Runtime.",
          "The page is one self-contained file: it opens from disk in any browser and fetches nothing.");

  private final PositionalParamSpec a =
      Specs.positional(spec, "0", "A", Path.class, "the model before tying");

  private final PositionalParamSpec b =
      Specs.positional(spec, "1", "B", Path.class, "the model after tying");

  private final OptionSpec output =
      Specs.add(
          spec,
          Specs.option("-o", "FILE", Path.class, null, "the HTML file to write")
              .required(true)
              .names("-o", "--output"));

  private final SharedOptions.MinBytesOption minBytes = new SharedOptions.MinBytesOption(spec);

  private final OptionSpec verify =
      Specs.flag(
          spec,
          "--verify",
          "also run A and B in ONNX Runtime on the same inputs and show how every output compares");

  private final SharedOptions.VerifyOptionsMixin verifyOptions =
      new SharedOptions.VerifyOptionsMixin(spec);

  private final SharedOptions.InputFilesOption inputFiles =
      new SharedOptions.InputFilesOption(spec);

  private final SharedOptions.AllowNewerIrOption allowNewerIr =
      new SharedOptions.AllowNewerIrOption(spec);

  private final OnnxTieCli root;

  ReportCommand(OnnxTieCli root) {
    this.root = root;
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie report model.onnx tied.onnx -o report.html",
        "  onnx-tie report model.onnx tied.onnx -o report.html --verify");
  }

  @Override
  public Integer call() {
    try (var newerIr = allowNewerIr.scope()) {
      return run();
    }
  }

  private Integer run() {
    Path a = this.a.getValue();
    Path b = this.b.getValue();
    Path file = output.getValue();
    boolean verify = this.verify.getValue();
    if (!verify && (verifyOptions.anyGiven(spec) || !inputFiles.files().isEmpty())) {
      throw OnnxTieException.badInput(
          "verify options (--dim, --range, --input, --atol, ...) apply with --verify; add --verify");
    }
    HtmlReports.checkTarget("-o", file, List.of(a, b), null, false, null);
    RewriteReport report =
        OnnxTie.tiesBetween(
            a,
            b,
            minBytes.value(),
            verify ? verifyOptions.arguments(inputFiles.files()).validated() : null);
    root.endProgress();
    FolderRewriteReport result =
        new FolderRewriteReport(
            report.input(),
            report.output(),
            false,
            List.of(report),
            null,
            report.bytesBefore(),
            report.bytesAfter(),
            List.of(),
            List.of());
    List<String> printed = new ArrayList<>();
    HtmlReports.write(
        file,
        "onnx-tie report",
        root.arguments,
        printed,
        result,
        false,
        Map.of(a.toString(), GraphOutline.of(a)),
        Map.of(a.toString(), GraphOutline.of(b)));
    PrintWriter out = spec.commandLine().getOut();
    long tied = report.result().ties().stream().filter(TieInfo::applied).count();
    out.println(
        "wrote "
            + file
            + ": "
            + Text.count(tied, "tie")
            + " of "
            + a
            + " in "
            + b
            + ", "
            + Units.bytes(report.bytesBefore())
            + " -> "
            + Units.bytes(report.bytesAfter())
            + (report.verification() == null
                ? ""
                : report.verification().passed() ? ", outputs match" : ", outputs differ"));
    out.flush();
    Verification verification = report.verification();
    return verification != null && !verification.passed() ? OnnxTieException.CHECK_FAILED : 0;
  }
}
