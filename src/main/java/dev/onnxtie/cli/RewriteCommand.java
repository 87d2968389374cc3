package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.api.RewriteOptions;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.Verification;
import dev.onnxtie.api.VerificationFailedException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code onnx-tie rewrite IN OUT [--form transpose|gemm] [--min-bytes N] [--dry-run] [--json] [--verify ...]}. */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
    description = {"Tie duplicated weights: remove each exact copy, exact transpose or exact reshape (the same bytes in another "
        + "shape, e.g. a 4-bit quantized head) of another initializer and let its readers read the kept one (through one "
        + "Transpose or Reshape, or a Gemm with --form gemm). With --form gemm, weights already tied through a Transpose "
        + "read by MatMul take the Gemm form too.",
        "IN and OUT may be folders: every .onnx file of IN is rewritten into OUT.",
        "With --verify, every verify option (--dim, --range, --input, --atol, --opt-level, ...) applies."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie rewrite model.onnx tied.onnx --verify",
        "  onnx-tie rewrite model.onnx tied.onnx --verify --opt-level basic --dim batch=1",
        "  onnx-tie rewrite model.onnx tied.onnx --form gemm --external-data",
        "  onnx-tie rewrite exported/ tied/ --shared-data --jobs 2 --verify",
        "  cat model.onnx | onnx-tie rewrite - - > tied.onnx"})
final class RewriteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IN", description = "model file or folder, or - for standard input")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "output file or folder (may equal IN), or - for standard output")
  Path out;

  @Option(names = "--form", paramLabel = "transpose|gemm", completionCandidates = SharedOptions.Candidates.Forms.class,
      description = "how MatMul readers of a transposed weight read the kept one: through a Transpose, or as Gemm(transB=1) so that "
          + "ONNX Runtime holds the weight once (default: ${DEFAULT-VALUE})")
  String form = "transpose";

  @Mixin SharedOptions.MinBytesOption minBytes;

  @Option(names = "--dry-run", description = "report what would be tied, write nothing")
  boolean dryRun;

  @Mixin SharedOptions.JsonOption json;

  @Option(names = "--verify", description = "run input and output in ONNX Runtime before the output appears; exit 1 and write nothing on a mismatch")
  boolean verify;

  @Mixin SharedOptions.VerifyOptionsMixin verifyOptions;

  @Mixin SharedOptions.InputFilesOption inputFiles;

  @Option(names = "--external-data", arity = "0..1", paramLabel = "FILE", fallbackValue = "", preprocessor = OptionalValue.class,
      description = "write tensors of at least --size-threshold bytes to an external data file (default name: OUT.data)")
  String externalData;

  @Option(names = "--single-file", description = "write everything into the .onnx file, even if the input had external data")
  boolean singleFile;

  @Option(names = "--size-threshold", paramLabel = "N", description = "with external data: tensors of at least N bytes go to the data file (default: ${DEFAULT-VALUE})")
  long sizeThreshold = 1024;

  @Option(names = "--shared-data", arity = "0..1", paramLabel = "NAME", fallbackValue = "shared.onnx.data", preprocessor = OptionalValue.class,
      description = "with folders: write all models against one external data file (default name: shared.onnx.data) in which every distinct tensor is stored once")
  String sharedData;

  @Mixin SharedOptions.JobsOption jobs;

  @ParentCommand OnnxTieCli root;

  @Override
  public Integer call() {
    boolean streams = in.toString().equals("-") || out.toString().equals("-");
    boolean folder = !streams && Files.isDirectory(in);
    if (!verify && (SharedOptions.VerifyOptionsMixin.anyGiven(spec.commandLine().getParseResult()) || !inputFiles.inputs.isEmpty())) {
      throw OnnxTieException.badInput("verify options (--dim, --range, --input, --atol, ...) apply with --verify; add --verify");
    }
    RewriteOptions options = RewriteOptions.defaults()
        .withForm(form)
        .withMinBytes(minBytes.value())
        .withDryRun(dryRun)
        .withLayout(externalData == null || externalData.isEmpty() ? null : externalData, externalData != null, singleFile, sizeThreshold)
        .withVerify(verify ? verifyOptions.arguments(inputFiles.inputs).toOptions() : null);
    int jobCount = jobs.value();
    if (!folder) {
      ignored("--jobs", "applies to folders only");
    }
    if (singleFile || dryRun || out.toString().equals("-")) {
      ignored("--size-threshold", singleFile ? "does not apply with --single-file" : dryRun ? "does not apply to a dry run" : "does not apply to standard output");
    }
    try {
      if (streams) {
        return streams(options);
      }
      if (folder) {
        FolderRewriteReport report = OnnxTie.rewriteFolder(in, out, options, sharedData, jobCount, root.progress());
        root.endProgress();
        emit(report, true);
        root.verdict(verdict(report.models(), Text.count(report.models().size(), "model")));
        return 0;
      }
      if (sharedData != null) {
        throw OnnxTieException.badInput("--shared-data needs IN and OUT to be folders");
      }
      RewriteReport report = OnnxTie.rewrite(in, out, options, root.progress());
      root.endProgress();
      emit(single(report), false);
      root.verdict(verdict(List.of(report), null));
      return 0;
    } catch (VerificationFailedException mismatch) {
      PrintWriter printer = spec.commandLine().getOut();
      if (json.json) {
        printer.println(Json.failure("rewrite", mismatch.exitCode(), mismatch.getMessage(), mismatch.verification()));
      } else {
        Text.verification(printer, mismatch.verification());
      }
      printer.flush();
      throw mismatch;
    }
  }

  private void ignored(String option, String why) {
    if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("onnx-tie: note: " + option + " " + why + "; ignored");
    }
  }

  private static FolderRewriteReport single(RewriteReport report) {
    return new FolderRewriteReport(report.input(), report.output(), report.dryRun(), List.of(report), null, report.bytesBefore(),
        report.bytesAfter(), List.of(), List.of());
  }

  /**
   * The one line that ends the progress on a terminal: {@code OK: 1 tie, 250.0 KiB saved, outputs
   * bitwise identical}.
   *
   * @param models "3 models" for a folder, null for one file
   */
  static String verdict(List<RewriteReport> reports, String models) {
    long ties = reports.stream().mapToLong(report -> report.result().ties().stream().filter(TieInfo::saves).count()).sum();
    long saved = reports.stream().mapToLong(report -> report.result().bytesSaved()).sum();
    boolean dryRun = reports.stream().anyMatch(RewriteReport::dryRun);
    String text = (dryRun ? "OK (dry run): would tie " + Text.count(ties, "duplicate") : "OK: " + (models == null ? "" : models + ", ") + Text.count(ties, "tie"))
        + ", " + Units.bytes(saved) + (dryRun ? " to save" : " saved");
    List<Verification> verified = reports.stream().map(RewriteReport::verification).filter(Objects::nonNull).toList();
    if (verified.isEmpty()) {
      return text + (dryRun ? "" : ", not verified (--verify runs both in ONNX Runtime)");
    }
    boolean bitwise = verified.stream().allMatch(v -> v.runs().stream().allMatch(run -> run.outputs().stream()
        .allMatch(Verification.Output::bitwiseIdentical)));
    return text + (bitwise ? ", outputs bitwise identical" : ", outputs match within atol and rtol");
  }

  private int emit(FolderRewriteReport report, boolean isFolder) {
    return emit(spec.commandLine().getOut(), report, isFolder);
  }

  private int emit(PrintWriter printer, FolderRewriteReport report, boolean isFolder) {
    if (json.json) {
      printer.println(Json.envelope("rewrite", 0, report));
    } else {
      Text.rewrite(printer, report, isFolder);
    }
    printer.flush();
    return 0;
  }

  /** IN or OUT is {@code -}: a single-file model through standard input or output. */
  private int streams(RewriteOptions options) {
    if (sharedData != null) {
      throw OnnxTieException.badInput("--shared-data needs IN and OUT to be folders, not standard input or output");
    }
    boolean toStdout = out.toString().equals("-");
    if (toStdout && !dryRun && root.stdoutIsTerminal) {
      throw OnnxTieException.badInput("refusing to write binary model data to a terminal; redirect standard output "
          + "(onnx-tie rewrite " + in + " - > tied.onnx) or give an output file");
    }
    try (var model = in.toString().equals("-") ? OnnxTie.read(root.stdin, "standard input") : OnnxTie.read(in)) {
      RewriteReport report = toStdout ? OnnxTie.rewrite(model, in.toString(), root.stdout, "-", options)
          : OnnxTie.rewrite(model, in.toString(), out, options);
      PrintWriter printer = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
      if (json.json || !toStdout || !root.quiet) {
        emit(printer, single(report), false);
      }
    }
    return 0;
  }
}
