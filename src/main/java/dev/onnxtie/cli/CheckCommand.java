package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.OnnxTie;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code onnx-tie check MODEL_OR_DIR... [--min-bytes N] [--json]}: exit 1 while untied duplicates
 * remain.
 */
final class CheckCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command(
          "check",
          this,
          "Exit 1 when any untied duplicate (identical, transposed or reshaped) of at least --min-bytes remains; the gate after an export.");

  private final PositionalParamSpec targets =
      Specs.positionals(spec, "MODEL_OR_DIR", Path.class, "model files or folders of .onnx files");

  private final SharedOptions.MinBytesOption minBytes = new SharedOptions.MinBytesOption(spec);

  private final SharedOptions.JsonOption json = new SharedOptions.JsonOption(spec);

  private final OptionSpec withinFiles =
      Specs.flag(
          spec,
          "--within-files",
          "only look inside each file, not for tensors several files each hold");

  private final OptionSpec transposedTies =
      Specs.flag(
          spec,
          "--transposed-ties",
          "also fail while a weight is tied through a "
              + "Transpose read by MatMul and is read by something else too, which ONNX Runtime holds twice (fixed by rewrite --form gemm)");

  private final SharedOptions.JobsOption jobs = new SharedOptions.JobsOption(spec, false);

  private final SharedOptions.AllowNewerIrOption allowNewerIr =
      new SharedOptions.AllowNewerIrOption(spec);

  private final OnnxTieCli root;

  CheckCommand(OnnxTieCli root) {
    this.root = root;
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie check exported/model.onnx",
        "  onnx-tie check exported/ --min-bytes 4096 --json",
        "  onnx-tie check tied.onnx --transposed-ties");
  }

  @Override
  public Integer call() {
    try (var newerIr = allowNewerIr.scope()) {
      return run();
    }
  }

  private Integer run() {
    long threshold = minBytes.value();
    int jobCount = jobs.value(false);
    List<Path> models = new ArrayList<>();
    List<Path> targets = this.targets.getValue();
    for (Path target : targets) {
      models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
    }
    if (models.size() < 2 && Specs.given(spec, "--jobs")) {
      spec.commandLine()
          .getErr()
          .println("onnx-tie: note: --jobs applies to several models only; ignored");
    }
    CheckReport report =
        OnnxTie.check(
            targets,
            models,
            threshold,
            !withinFiles.<Boolean>getValue(),
            transposedTies.getValue(),
            jobCount,
            root.progress());
    root.endProgress();
    String refused = Text.refusedSummary(report.refused(), report.withinFiles().size());
    int code = refused != null ? OnnxTieException.BAD_INPUT : report.passed() ? 0 : 1;
    PrintWriter out = spec.commandLine().getOut();
    if (json.on()) {
      out.println(
          refused != null
              ? Json.partial("check", code, report, refused)
              : Json.envelope("check", code, report));
    } else {
      CheckText.check(out, report);
    }
    if (refused != null) {
      out.flush();
      spec.commandLine().getErr().println("onnx-tie: " + refused);
    }
    return code;
  }
}
