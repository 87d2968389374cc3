package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.VerificationFailedException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code onnx-tie rewrite IN OUT [--form transpose|gemm] [--min-bytes N] [--dry-run] [--json]
 * [--verify ...]}.
 */
final class RewriteCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command(
          "rewrite",
          this,
          "Tie duplicated weights: remove each exact copy, exact transpose or exact reshape (the same bytes in another "
              + "shape, such as a 4-bit quantized head) of another initializer and let its readers read the kept one (through one "
              + "Transpose or Reshape, or a Gemm with --form gemm). With --form gemm, weights already tied through a Transpose "
              + "read by MatMul take the Gemm form too.",
          "IN and OUT may be folders: every .onnx file of IN is rewritten into OUT.",
          "With --verify, every verify option (--dim, --range, --input, --atol, --opt-level, ...) applies.");

  private final PositionalParamSpec in =
      Specs.positional(
          spec, "0", "IN", Path.class, "model file or folder, or - for standard input");

  private final PositionalParamSpec out =
      Specs.positional(
          spec,
          "1",
          "OUT",
          Path.class,
          "output file or folder (may equal IN), or - for standard output");

  private final OptionSpec form =
      Specs.add(
          spec,
          Specs.option(
                  "--form",
                  "transpose|gemm",
                  String.class,
                  "transpose",
                  "how MatMul readers of a transposed weight read the kept one: through a Transpose, or as a Gemm with transB=1 so that "
                      + "ONNX Runtime holds the weight once (default: ${DEFAULT-VALUE})")
              .completionCandidates(RewriteOptions.FORMS));

  private final SharedOptions.MinBytesOption minBytes = new SharedOptions.MinBytesOption(spec);

  private final OptionSpec dryRun =
      Specs.flag(spec, "--dry-run", "report what would be tied, write nothing");

  private final SharedOptions.JsonOption json = new SharedOptions.JsonOption(spec);

  private final OptionSpec verify =
      Specs.flag(
          spec,
          "--verify",
          "run input and output in ONNX Runtime before the output appears; exit 1 and write nothing on a mismatch");

  private final OptionSpec verbose =
      Specs.add(
          spec,
          OptionSpec.builder("-v", "--verbose")
              .type(boolean.class)
              .initialValue(false)
              .description(
                  "with --verify on a folder, print every model's full comparison (by default one line per model)"));

  private final SharedOptions.VerifyOptionsMixin verifyOptions =
      new SharedOptions.VerifyOptionsMixin(spec);

  private final SharedOptions.InputFilesOption inputFiles =
      new SharedOptions.InputFilesOption(spec);

  private final OptionSpec externalData =
      Specs.add(
          spec,
          Specs.option(
                  "--external-data",
                  "FILE",
                  String.class,
                  null,
                  "write tensors of at least --size-threshold bytes to an external data file (default name: OUT.data)")
              .arity("0..1")
              .fallbackValue("")
              .preprocessor(new OptionalValue()));

  private final OptionSpec singleFile =
      Specs.flag(
          spec,
          "--single-file",
          "write everything into the .onnx file, even if the input had external data");

  private final OptionSpec sizeThreshold =
      Specs.add(
          spec,
          Specs.option(
              "--size-threshold",
              "N",
              long.class,
              1024L,
              "with external data: tensors of at least N bytes go to the data file (default: ${DEFAULT-VALUE})"));

  private final OptionSpec sharedData =
      Specs.add(
          spec,
          Specs.option(
                  "--shared-data",
                  "NAME",
                  String.class,
                  null,
                  "with folders: write all models against one external data file in which every distinct tensor is stored once",
                  // the name on a line of its own: picocli's line breaking would split it after a
                  // dot
                  "(default name: shared.onnx.data)")
              .arity("0..1")
              .fallbackValue("shared.onnx.data")
              .preprocessor(new OptionalValue()));

  private final SharedOptions.JobsOption jobs = new SharedOptions.JobsOption(spec, true);

  private final SharedOptions.AllowNewerIrOption allowNewerIr =
      new SharedOptions.AllowNewerIrOption(spec);
  private final OptionSpec report =
      Specs.add(
          spec,
          Specs.option(
              "--report",
              "FILE",
              Path.class,
              null,
              "also write an HTML report: the bytes before and after, every tie with its graph neighbourhood before and after, and "
                  + "the verification; one self-contained file that opens from disk in any browser"));

  /** The notes this command printed on stderr, for the HTML report. */
  private final List<String> printed = new ArrayList<>();

  private final OnnxTieCli root;

  RewriteCommand(OnnxTieCli root) {
    this.root = root;
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie rewrite model.onnx tied.onnx --verify",
        "  onnx-tie rewrite model.onnx tied.onnx --verify --opt-level basic --dim batch=1",
        "  onnx-tie rewrite model.onnx tied.onnx --form gemm --external-data",
        "  onnx-tie rewrite model.onnx tied.onnx --verify --report report.html",
        "  onnx-tie rewrite exported/ tied/ --shared-data --jobs 2 --verify",
        "  cat model.onnx | onnx-tie rewrite - - > tied.onnx");
  }

  @Override
  public Integer call() {
    try (var newerIr = allowNewerIr.scope()) {
      return run();
    }
  }

  private Integer run() {
    Path in = this.in.getValue();
    Path out = this.out.getValue();
    boolean dryRun = this.dryRun.getValue();
    boolean singleFile = this.singleFile.getValue();
    String externalData = this.externalData.getValue();
    String sharedData = this.sharedData.getValue();
    boolean streams = in.toString().equals("-") || out.toString().equals("-");
    boolean folder = !streams && Files.isDirectory(in);
    boolean verify = this.verify.getValue();
    if (!verify && (verifyOptions.anyGiven(spec) || !inputFiles.files().isEmpty())) {
      throw OnnxTieException.badInput(
          "verify options (--dim, --range, --input, --atol, ...) apply with --verify; add --verify");
    }
    RewriteOptions options =
        RewriteOptions.defaults()
            .withForm(form.<String>getValue())
            .withMinBytes(minBytes.value())
            .withDryRun(dryRun)
            .withLayout(
                externalData == null || externalData.isEmpty() ? null : externalData,
                externalData != null,
                singleFile,
                sizeThreshold.getValue())
            .withVerify(verify ? verifyOptions.arguments(inputFiles.files()).validated() : null);
    int jobCount = jobs.value(verify);
    if (!folder) {
      ignored("--jobs", "applies to folders only");
    } else if (jobCount > 1 && options.write().dataFile() != null) {
      String note =
          "note: --external-data="
              + externalData
              + " names one data file for every model: they are written one at a time";
      spec.commandLine().getErr().println("onnx-tie: " + note);
      printed.add(note);
    }
    if (singleFile || dryRun || out.toString().equals("-")) {
      ignored(
          "--size-threshold",
          singleFile
              ? "does not apply with --single-file"
              : dryRun ? "does not apply to a dry run" : "does not apply to standard output");
    }
    Path reportFile = this.report.getValue();
    Map<String, GraphOutline> before = null;
    if (reportFile != null) {
      if (streams) {
        throw OnnxTieException.badInput(
            "--report needs IN and OUT to be files or folders, not standard input or output");
      }
      HtmlReports.checkTarget(
          "--report",
          reportFile,
          List.of(in),
          out,
          folder,
          externalData == null || externalData.isEmpty() ? null : externalData);
      before = HtmlReports.before(in, folder); // before the rewrite: OUT may be IN
    }
    try {
      if (streams) {
        return streams(in, out, options);
      }
      if (folder) {
        FolderRewriteReport report =
            OnnxTie.rewriteFolder(in, out, options, sharedData, jobCount, root.progress());
        root.endProgress();
        emit(report, true);
        report(reportFile, report, true, before, options);
        root.verdict(
            RewriteResults.verdict(report.models(), Text.count(report.models().size(), "model")));
        return 0;
      }
      if (sharedData != null) {
        throw OnnxTieException.badInput("--shared-data needs IN and OUT to be folders");
      }
      List<String> outGiven = this.out.originalStringValues();
      if (!outGiven.isEmpty() && outGiven.get(outGiven.size() - 1).endsWith("/")) {
        // OUT/ names a folder (the path type drops the slash): the model goes into it under its own
        // name
        if (!Files.isDirectory(out)) {
          throw OnnxTieException.badInput(
              "output folder "
                  + outGiven.get(outGiven.size() - 1)
                  + " does not exist; create it first, or give a file name without the trailing /");
        }
        out = out.resolve(in.getFileName().toString());
      }
      RewriteReport report = OnnxTie.rewrite(in, out, options, root.progress());
      root.endProgress();
      emit(RewriteResults.single(report), false);
      report(reportFile, RewriteResults.single(report), false, before, options);
      root.verdict(RewriteResults.verdict(List.of(report), null));
      return 0;
    } catch (VerificationFailedException mismatch) {
      PrintWriter printer = spec.commandLine().getOut();
      if (json.on()) {
        printer.println(
            Json.failure(
                "rewrite", mismatch.exitCode(), mismatch.getMessage(), mismatch.verification()));
      } else {
        VerifyText.verification(printer, mismatch.verification());
      }
      printer.flush();
      throw mismatch;
    }
  }

  private void ignored(String option, String why) {
    if (Specs.given(spec, option)) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("onnx-tie: note: " + option + " " + why + "; ignored");
      printed.add("note: " + option + " " + why + "; ignored");
    }
  }

  /**
   * With {@code --report FILE}: the HTML report of what {@code --json} prints, and one line saying
   * where it went.
   */
  private void report(
      Path file,
      FolderRewriteReport report,
      boolean isFolder,
      Map<String, GraphOutline> before,
      RewriteOptions options) {
    if (file == null) {
      return;
    }
    HtmlReports.write(
        file,
        "onnx-tie rewrite",
        root.arguments,
        printed,
        report,
        isFolder,
        before,
        HtmlReports.after(report, options));
    if (!json.on()) {
      PrintWriter printer = spec.commandLine().getOut();
      printer.println("report: " + file);
      printer.flush();
    }
  }

  private int emit(FolderRewriteReport report, boolean isFolder) {
    return emit(spec.commandLine().getOut(), report, isFolder);
  }

  private int emit(PrintWriter printer, FolderRewriteReport report, boolean isFolder) {
    if (json.on()) {
      printer.println(Json.envelope("rewrite", 0, report));
    } else {
      RewriteText.rewrite(printer, report, isFolder, !isFolder || verbose.<Boolean>getValue());
    }
    printer.flush();
    return 0;
  }

  /** IN or OUT is {@code -}: a single-file model through standard input or output. */
  private int streams(Path in, Path out, RewriteOptions options) {
    if (sharedData.getValue() != null) {
      throw OnnxTieException.badInput(
          "--shared-data needs IN and OUT to be folders, not standard input or output");
    }
    boolean toStdout = out.toString().equals("-");
    if (toStdout && !options.dryRun() && root.stdoutIsTerminal) {
      throw OnnxTieException.badInput(
          "refusing to write binary model data to a terminal; redirect standard output "
              + "(onnx-tie rewrite "
              + in
              + " - > tied.onnx) or give an output file");
    }
    try (var model =
        in.toString().equals("-") ? OnnxTie.read(root.stdin, "standard input") : OnnxTie.read(in)) {
      RewriteReport report =
          toStdout
              ? OnnxTie.rewrite(model, in.toString(), root.stdout, "-", options)
              : OnnxTie.rewrite(model, in.toString(), out, options);
      PrintWriter printer = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
      if (json.on() || !toStdout || !root.quiet()) {
        emit(printer, RewriteResults.single(report), false);
      }
    }
    return 0;
  }
}
