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
    description = "Exit 1 when any untied duplicate (identical or transposed) of at least --min-bytes remains; the gate after an export.",
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie check exported/model.onnx", "  onnx-tie check exported/ --min-bytes 4096 --json"})
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

  @Option(names = "--jobs", paramLabel = "N", description = "check N files at a time (default: ${DEFAULT-VALUE})")
  int jobs = 1;

  @picocli.CommandLine.ParentCommand OnnxTieCli root;

  @Override
  public Integer call() {
    List<Path> models = new ArrayList<>();
    for (Path target : targets) {
      models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
    }
    CheckReport report = OnnxTie.check(models, minBytes, !withinFiles, jobs, root.progress());
    root.endProgress();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.of(report));
      return report.passed() ? 0 : 1;
    }
    report.withinFiles().forEach((file, groups) -> {
      for (InspectReport.DuplicateGroup group : groups) {
        for (InspectReport.Member member : group.members()) {
          out.println(file + ": " + member.name() + " " + member.shape() + " is " + member.relation()
              + (member.relation().equals("transpose") ? " " + member.perm() : "") + " of " + group.kept() + ", wasting " + member.bytes() + " bytes");
        }
      }
    });
    for (CrossFileFinder.Group group : report.acrossFiles()) {
      for (CrossFileFinder.Member copy : group.copies()) {
        if (!copy.storedOnce()) {
          out.println(copy.file() + ": " + copy.tensor() + " " + copy.shape() + " is " + copy.relation() + " of " + group.tensor() + " in "
              + group.file() + ", wasting " + copy.bytes() + " bytes (rewrite the folder with --shared-data)");
        }
      }
    }
    out.println(report.passed() ? "check passed: no untied duplicates of at least " + minBytes + " bytes"
        : "check failed: " + report.wastedBytes() + " bytes in untied duplicates; fix: " + fix(report));
    return report.passed() ? 0 : 1;
  }

  /** The command that removes what the check found. */
  private String fix(CheckReport report) {
    boolean across = report.acrossFiles().stream().anyMatch(group -> group.copies().stream().anyMatch(copy -> !copy.storedOnce()));
    if (targets.size() == 1) {
      Path target = targets.get(0);
      String tied = tiedName(target);
      if (Files.isDirectory(target)) {
        return "onnx-tie rewrite " + target + " " + tied + (across ? " --shared-data" : "")
            + (across ? "  (one data file in which every tensor the models share is stored once)" : "");
      }
      return "onnx-tie rewrite " + target + " " + tied;
    }
    return across ? "put the models in one folder and run 'onnx-tie rewrite DIR OUT --shared-data' (one data file for all of them)"
        : "onnx-tie rewrite MODEL OUT for each file listed";
  }

  /** A name for the output beside the target: {@code exported/} gives {@code exported-tied}, {@code m.onnx} gives {@code m-tied.onnx}. */
  private static String tiedName(Path target) {
    String name = target.getFileName() == null ? "model" : target.getFileName().toString();
    String tied = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) + "-tied.onnx" : name + "-tied";
    Path parent = target.getParent();
    return parent == null ? tied : parent.resolve(tied).toString();
  }
}
