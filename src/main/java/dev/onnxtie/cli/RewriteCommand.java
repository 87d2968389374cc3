package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.pass.TieForm;
import dev.onnxtie.pass.TieRecord;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.verify.VerifyOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code onnx-tie rewrite IN OUT [--form transpose|gemm] [--min-bytes N] [--dry-run] [--json] [--verify]}. */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
    description = {"Tie duplicated weights: remove each exact copy or exact transpose of another initializer and "
        + "let its readers read the kept one (through one Transpose, or a Gemm with --form gemm).",
        "IN and OUT may be folders: every .onnx file of IN is rewritten into OUT."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie rewrite model.onnx tied.onnx --verify",
        "  onnx-tie rewrite model.onnx tied.onnx --form gemm --external-data",
        "  onnx-tie rewrite exported/ tied/ --shared-data --jobs 2 --verify",
        "  cat model.onnx | onnx-tie rewrite - - > tied.onnx"})
final class RewriteCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN", description = "model file or folder")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "output file or folder (may equal IN)")
  Path out;

  @Option(names = "--form", paramLabel = "transpose|gemm",
      description = "how readers of a removed transposed weight read the kept one (default: ${DEFAULT-VALUE})")
  String form = "transpose";

  @Option(names = "--min-bytes", paramLabel = "N", description = "leave tensors smaller than N bytes alone (default: ${DEFAULT-VALUE})")
  long minBytes = TieFinder.DEFAULT_MIN_BYTES;

  @Option(names = "--dry-run", description = "report what would be tied, write nothing")
  boolean dryRun;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Option(names = "--verify", description = "run input and output in ONNX Runtime before the output appears; exit 1 and write nothing on a mismatch")
  boolean verify;

  @Option(names = "--external-data", arity = "0..1", paramLabel = "FILE", fallbackValue = "",
      description = "write tensors of at least --size-threshold bytes to an external data file (default name: OUT.data)")
  String externalData;

  @Option(names = "--single-file", description = "write everything into the .onnx file, even if the input had external data")
  boolean singleFile;

  @Option(names = "--size-threshold", paramLabel = "N", description = "with --external-data: tensors of at least N bytes go to the data file (default: ${DEFAULT-VALUE})")
  long sizeThreshold = 1024;

  @Option(names = "--shared-data", arity = "0..1", paramLabel = "NAME", fallbackValue = "shared.onnx.data",
      description = "with folders: write all models against one external data file (default name: shared.onnx.data) in which every distinct tensor is stored once")
  String sharedData;

  @Option(names = "--jobs", paramLabel = "N", description = "with folders: rewrite N files at a time (the output is the same) (default: ${DEFAULT-VALUE})")
  int jobs = 1;

  @picocli.CommandLine.ParentCommand OnnxTieCli root;

  @Override
  public Integer call() {
    RewriteOptions options = RewriteOptions.defaults()
        .withForm(parseForm(form))
        .withMinBytes(minBytes)
        .withDryRun(dryRun)
        .withWrite(writeOptions())
        .withVerify(verify ? VerifyOptions.defaults() : null);
    PrintWriter printer = spec.commandLine().getOut();
    if (in.toString().equals("-") || out.toString().equals("-")) {
      return streams(options);
    }
    if (Files.isDirectory(in)) {
      FolderRewriteReport folder = OnnxTie.rewriteFolder(in, out, options, sharedData, jobs, root.progress());
      if (json) {
        printer.println(Json.of(folder));
        return 0;
      }
      folder.models().forEach(report -> render(printer, report));
      printer.println(folder.models().size() + " models" + (folder.sharedData() == null ? "" : " sharing " + folder.sharedData())
          + (folder.output() == null ? "" : ": " + Units.bytes(folder.bytesBefore()) + " -> " + Units.bytes(folder.bytesAfter())
              + " (" + folder.bytesBefore() + " -> " + folder.bytesAfter() + " bytes)"));
      return 0;
    }
    if (sharedData != null) {
      throw OnnxTieException.badInput("--shared-data needs IN and OUT to be folders");
    }
    RewriteReport report = OnnxTie.rewrite(in, out, options);
    if (json) {
      printer.println(Json.of(report));
    } else {
      render(printer, report);
    }
    return 0;
  }

  /** IN or OUT is {@code -}: a single-file model through standard input or output. */
  private int streams(RewriteOptions options) {
    if (verify) {
      throw OnnxTieException.badInput("--verify needs IN and OUT to be files (ONNX Runtime loads models from files)");
    }
    if (sharedData != null || externalData != null) {
      throw OnnxTieException.badInput("external data cannot go through standard input or output");
    }
    boolean toStdout = out.toString().equals("-");
    try (OnnxModel model = in.toString().equals("-") ? OnnxTie.read(root.stdin, "standard input") : OnnxTie.read(in)) {
      OnnxTie.Rewritten rewritten = OnnxTie.rewrite(model, options);
      if (!options.dryRun()) {
        if (toStdout) {
          OnnxTie.write(rewritten.model(), root.stdout);
        } else {
          OnnxTie.write(rewritten.model(), out, options.write());
        }
      }
      PrintWriter printer = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
      RewriteReport report = new RewriteReport(in.toString(), options.dryRun() ? null : out.toString(), rewritten.result(), 0, 0, List.of(), null);
      if (json) {
        printer.println(Json.of(report));
      } else if (!toStdout || !root.quiet) {
        render(printer, report);
      }
      printer.flush();
    }
    return 0;
  }

  private WriteOptions writeOptions() {
    if (externalData != null && singleFile) {
      throw OnnxTieException.badInput("--external-data and --single-file exclude each other");
    }
    WriteOptions defaults = WriteOptions.defaults();
    WriteOptions base = new WriteOptions(defaults.layout(), null, sizeThreshold, defaults.alignment());
    if (externalData != null) {
      return base.withLayout(WriteOptions.Layout.EXTERNAL, externalData.isEmpty() ? null : externalData);
    }
    if (singleFile) {
      return base.withLayout(WriteOptions.Layout.SINGLE_FILE, null);
    }
    return base;
  }

  static TieForm parseForm(String text) {
    try {
      return TieForm.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw OnnxTieException.badInput("unknown --form '" + text + "'; valid: transpose, gemm");
    }
  }

  private void render(PrintWriter out, RewriteReport report) {
    String data = report.output() != null && report.written().size() > 1
        ? " (data file " + java.nio.file.Path.of(report.written().get(1)).getFileName() + ")" : "";
    out.println(report.input() + (report.output() == null ? " (dry run)" : " -> " + report.output() + data));
    if (report.result().ties().isEmpty()) {
      out.println("  nothing to tie");
    }
    for (TieRecord tie : report.result().ties()) {
      String relation = tie.relation().equals("identical") ? "identical" : "transpose " + tie.perm();
      out.println("  " + (tie.applied() ? "tied " : "kept ") + tie.removed() + " " + tie.shape() + " = " + relation + " of " + tie.kept()
          + "  (" + tie.readers() + " readers, " + tie.form() + ", " + Units.bytes(tie.bytes()) + ")"
          + (tie.applied() ? "" : "  not removed: " + tie.reason()));
    }
    for (String note : report.result().notes()) {
      out.println("  note: " + note);
    }
    long saved = report.result().bytesSaved();
    out.println("  " + report.result().changes() + " ties, " + saved + " tensor bytes removed (" + Units.bytes(saved) + ")"
        + (report.output() == null || report.bytesBefore() == 0 ? "" : "; files " + Units.bytes(report.bytesBefore()) + " -> " + Units.bytes(report.bytesAfter())));
    if (report.verification() != null) {
      out.println(report.verification().toText());
    }
  }
}
