package dev.onnxtie.cli;

import dev.onnxtie.api.FolderInspectReport;
import dev.onnxtie.api.OnnxTie;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code onnx-tie inspect MODEL|DIR|-... [--json]}. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"Show a model's versions, inputs, outputs, ops, initializers, external data, duplicated weights (identical, "
        + "transposed, reshaped) and weights already tied through a Transpose that ONNX Runtime holds twice.",
        "Several models (files or folders) also show the tensors more than one of them holds."},
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie inspect samples/gpt2_tied/model.onnx",
        "  onnx-tie inspect model.onnx --json | jq .result.models[0].wastedBytes",
        "  onnx-tie inspect encoder.onnx decoder.onnx",
        "  onnx-tie inspect exported/ --jobs 2"})
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "MODEL", description = "a .onnx file, a folder of them, or - for standard input")
  List<Path> targets;

  @Mixin SharedOptions.JobsOption jobs;

  @ParentCommand OnnxTieCli root;

  @Mixin SharedOptions.JsonOption json;

  @Mixin SharedOptions.MinBytesOption minBytes;

  @Override
  public Integer call() {
    long threshold = minBytes.value();
    int jobCount = jobs.value();
    FolderInspectReport report;
    if (targets.size() == 1 && targets.get(0).toString().equals("-")) {
      try (var read = OnnxTie.read(root.stdin, "standard input")) {
        report = new FolderInspectReport(List.of(OnnxTie.inspect(read, "-", threshold)), List.of(), 0);
      }
    } else {
      List<Path> models = new ArrayList<>();
      for (Path target : targets) {
        if (target.toString().equals("-")) {
          throw dev.onnxtie.OnnxTieException.badInput("standard input (-) can only be inspected alone");
        }
        models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
      }
      if (models.size() < 2 && spec.commandLine().getParseResult().hasMatchedOption("--jobs")) {
        spec.commandLine().getErr().println("onnx-tie: note: --jobs applies to several models only; ignored");
      }
      report = OnnxTie.inspectAll(models, threshold, jobCount, root.progress());
      root.endProgress();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json.json) {
      out.println(Json.envelope("inspect", 0, report));
    } else {
      Text.inspect(out, report);
    }
    return 0;
  }
}
