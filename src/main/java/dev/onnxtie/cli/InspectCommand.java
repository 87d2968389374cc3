package dev.onnxtie.cli;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.api.FolderInspectReport;
import dev.onnxtie.api.OnnxTie;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code onnx-tie inspect MODEL|DIR|-... [--json]}. */
final class InspectCommand implements Callable<Integer> {
  final CommandSpec spec =
      Specs.command(
          "inspect",
          this,
          "Show a model's versions, inputs, outputs, ops, initializers, external data, duplicated weights (identical, "
              + "transposed, reshaped) and weights already tied through a Transpose that ONNX Runtime holds twice.",
          "Several models (files or folders) also show the tensors more than one of them holds.");

  private final PositionalParamSpec targets =
      Specs.positionals(
          spec, "MODEL", Path.class, "a .onnx file, a folder of them, or - for standard input");

  private final SharedOptions.JobsOption jobs = new SharedOptions.JobsOption(spec, false);

  private final SharedOptions.JsonOption json = new SharedOptions.JsonOption(spec);

  private final SharedOptions.MinBytesOption minBytes = new SharedOptions.MinBytesOption(spec);

  private final SharedOptions.AllowNewerIrOption allowNewerIr =
      new SharedOptions.AllowNewerIrOption(spec);

  private final OnnxTieCli root;

  InspectCommand(OnnxTieCli root) {
    this.root = root;
    Specs.footer(
        spec,
        "%nExamples:%n",
        "  onnx-tie inspect samples/gpt2_tied/model.onnx",
        "  onnx-tie inspect model.onnx --json | jq .result.models[0].wastedBytes",
        "  onnx-tie inspect encoder.onnx decoder.onnx",
        "  onnx-tie inspect exported/ --jobs 2");
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
    FolderInspectReport report;
    List<Path> targets = this.targets.getValue();
    if (targets.size() == 1 && targets.get(0).toString().equals("-")) {
      try (var read = OnnxTie.read(root.stdin, "standard input")) {
        report =
            new FolderInspectReport(
                List.of(OnnxTie.inspect(read, "-", threshold)), List.of(), 0, null, null, null);
      }
    } else {
      List<Path> models = new ArrayList<>();
      for (Path target : targets) {
        if (target.toString().equals("-")) {
          throw OnnxTieException.badInput("standard input (-) can only be inspected alone");
        }
        models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
      }
      if (models.size() < 2 && Specs.given(spec, "--jobs")) {
        spec.commandLine()
            .getErr()
            .println("onnx-tie: note: --jobs applies to several models only; ignored");
      }
      report = OnnxTie.inspectAll(models, threshold, jobCount, root.progress());
      root.endProgress();
    }
    String refused = Text.refusedSummary(report.refused(), report.models().size());
    int code = refused != null ? OnnxTieException.BAD_INPUT : 0;
    PrintWriter out = spec.commandLine().getOut();
    if (json.on()) {
      out.println(
          refused != null
              ? Json.partial("inspect", code, report, refused)
              : Json.envelope("inspect", code, report));
    } else {
      InspectText.inspect(out, report);
    }
    if (refused != null) {
      out.flush();
      spec.commandLine().getErr().println("onnx-tie: " + refused);
    }
    return code;
  }
}
