package dev.onnxtie.cli;

import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.tie.CrossFileFinder;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.tie.TieFinder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code onnx-tie check MODEL_OR_DIR... [--min-bytes N] [--json]}: exit 1 while untied duplicates remain. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Exit 1 when any untied duplicate (identical, transposed or reshaped) of at least --min-bytes remains; the gate after an export.",
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie check exported/model.onnx", "  onnx-tie check exported/ --min-bytes 4096 --json",
        "  onnx-tie check tied.onnx --transposed-ties"})
final class CheckCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "MODEL_OR_DIR", description = "model files or folders of .onnx files")
  List<Path> targets;

  @Option(names = "--min-bytes", paramLabel = "N", description = "ignore duplicates smaller than N bytes (default: ${DEFAULT-VALUE})")
  long minBytes = TieFinder.DEFAULT_MIN_BYTES;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Option(names = "--within-files", description = "only look inside each file, not for tensors several files each hold")
  boolean withinFiles;

  @Option(names = "--transposed-ties", description = "also fail while a weight is tied through a Transpose read by MatMul, "
      + "which ONNX Runtime holds twice (fixed by rewrite --form gemm)")
  boolean transposedTies;

  @Option(names = "--jobs", paramLabel = "N", description = "check N files at a time (default: ${DEFAULT-VALUE})")
  int jobs = 1;

  @picocli.CommandLine.ParentCommand OnnxTieCli root;

  @Override
  public Integer call() {
    List<Path> models = new ArrayList<>();
    for (Path target : targets) {
      models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
    }
    CheckReport report = OnnxTie.check(models, minBytes, !withinFiles, transposedTies, jobs, root.progress());
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.of(report));
      return report.passed() ? 0 : 1;
    }
    report.withinFiles().forEach((file, groups) -> {
      for (InspectReport.DuplicateGroup group : groups) {
        for (InspectReport.Member member : group.members()) {
          out.println(TieText.wasting(file, group.kept(), member));
        }
      }
    });
    for (CrossFileFinder.Group group : report.acrossFiles()) {
      for (CrossFileFinder.Member copy : group.copies()) {
        if (!copy.storedOnce()) {
          out.println(copy.file() + ": " + copy.tensor() + " " + copy.shape() + " is " + copy.relation().text() + " of " + group.tensor() + " in "
              + group.file() + ", wasting " + copy.bytes() + " bytes (rewrite the folder with --shared-data)");
        }
      }
    }
    int transposed = 0;
    for (var entry : report.transposedTies().entrySet()) {
      for (InspectReport.TransposedTie tie : entry.getValue()) {
        out.println(entry.getKey() + ":" + TieText.transposed(tie));
        transposed++;
      }
    }
    if (report.passed()) {
      out.println("check passed: no untied duplicates of at least " + minBytes + " bytes"
          + (transposed > 0 ? " (" + transposed + " weights tied via Transpose; --transposed-ties fails on them)" : ""));
    } else if (report.wastedBytes() > 0) {
      out.println("check failed: " + report.wastedBytes() + " bytes in untied duplicates (run 'onnx-tie rewrite')");
    } else {
      out.println("check failed: " + transposed + " weights tied via Transpose, held twice by ONNX Runtime (run 'onnx-tie rewrite --form gemm')");
    }
    return report.passed() ? 0 : 1;
  }
}
