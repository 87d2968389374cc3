package dev.onnxtie.cli;

import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.OnnxTie;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code onnx-tie check MODEL_OR_DIR... [--min-bytes N] [--json]}: exit 1 while untied duplicates remain. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Exit 1 when any untied duplicate (identical, transposed or reshaped) of at least --min-bytes remains; the gate after an export.",
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie check exported/model.onnx", "  onnx-tie check exported/ --min-bytes 4096 --json",
        "  onnx-tie check tied.onnx --transposed-ties"})
final class CheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "MODEL_OR_DIR", description = "model files or folders of .onnx files")
  List<Path> targets;

  @Mixin SharedOptions.MinBytesOption minBytes;

  @Mixin SharedOptions.JsonOption json;

  @Option(names = "--within-files", description = "only look inside each file, not for tensors several files each hold")
  boolean withinFiles;

  @Option(names = "--transposed-ties", description = "also fail while a weight is tied through a Transpose read by MatMul, "
      + "which ONNX Runtime holds twice (fixed by rewrite --form gemm)")
  boolean transposedTies;

  @Mixin SharedOptions.JobsOption jobs;

  @ParentCommand OnnxTieCli root;

  @Override
  public Integer call() {
    long threshold = minBytes.value();
    int jobCount = jobs.value();
    List<Path> models = new ArrayList<>();
    for (Path target : targets) {
      models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
    }
    if (models.size() < 2 && spec.commandLine().getParseResult().hasMatchedOption("--jobs")) {
      spec.commandLine().getErr().println("onnx-tie: note: --jobs applies to several models only; ignored");
    }
    CheckReport report = OnnxTie.check(models, threshold, !withinFiles, transposedTies, jobCount, root.progress());
    root.endProgress();
    int code = report.passed() ? 0 : 1;
    PrintWriter out = spec.commandLine().getOut();
    if (json.json) {
      out.println(Json.envelope("check", code, report));
    } else {
      Text.check(out, report, targets);
    }
    return code;
  }
}
