package dev.onnxtie.cli;

import dev.onnxtie.api.FolderInspectReport;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.tie.CrossFileFinder;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.tie.TieFinder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code onnx-tie inspect MODEL [--json]}. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show a model's versions, inputs, outputs, ops, initializers, external data and duplicated weights.",
    footerHeading = "%nExamples:%n",
    footer = {"  onnx-tie inspect samples/gpt2_tied/model.onnx", "  onnx-tie inspect model.onnx --json | jq .wastedBytes",
        "  onnx-tie inspect exported/ --jobs 2"})
final class InspectCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "MODEL", description = "the .onnx file, a folder of them, or - for standard input")
  Path model;

  @Option(names = "--jobs", paramLabel = "N", description = "with a folder: inspect N files at a time (default: ${DEFAULT-VALUE})")
  int jobs = 1;

  @picocli.CommandLine.ParentCommand OnnxTieCli root;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Option(names = "--min-bytes", paramLabel = "N", description = "ignore tensors smaller than N bytes (default: ${DEFAULT-VALUE})")
  long minBytes = TieFinder.DEFAULT_MIN_BYTES;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (java.nio.file.Files.isDirectory(model)) {
      FolderInspectReport folder = OnnxTie.inspectAll(OnnxTie.modelsIn(model), minBytes, jobs, root.progress());
      root.endProgress();
      if (json) {
        out.println(Json.of(folder));
        return 0;
      }
      folder.models().forEach(report -> render(out, report));
      for (CrossFileFinder.Group group : folder.acrossFiles()) {
        out.println("across files: " + group.tensor() + " " + group.dtype() + group.shape() + " of " + group.file() + " is held by:");
        for (CrossFileFinder.Member copy : group.copies()) {
          out.println("  " + copy.relation() + "  " + copy.file() + ": " + copy.tensor() + "  " + Units.bytes(copy.bytes())
              + (copy.storedOnce() ? "  (stored once: shared external data)" : ""));
        }
      }
      if (folder.wastedAcrossFiles() > 0) {
        out.println("rewrite with --shared-data saves " + folder.wastedAcrossFiles() + " bytes across files (" + Units.bytes(folder.wastedAcrossFiles()) + ")");
      }
      return 0;
    }
    InspectReport report;
    if (model.toString().equals("-")) {
      try (dev.onnxtie.model.OnnxModel read = OnnxTie.read(root.stdin, "standard input")) {
        report = OnnxTie.inspect(read, "-", minBytes);
      }
    } else {
      report = OnnxTie.inspect(model, minBytes);
    }
    if (json) {
      out.println(Json.of(report));
      return 0;
    }
    render(out, report);
    return 0;
  }

  private void render(PrintWriter out, InspectReport report) {
    out.println(report.path());
    out.println("  IR version " + report.irVersion() + ", opsets " + report.opsets() + (report.producer().isEmpty() ? "" : ", produced by " + report.producer()));
    for (InspectReport.Value input : report.inputs()) {
      out.println("  input  " + input.name() + " " + input.dtype() + " " + input.dims());
    }
    for (InspectReport.Value output : report.outputs()) {
      out.println("  output " + output.name() + " " + output.dtype() + " " + output.dims());
    }
    int nodes = report.nodesByOp().values().stream().mapToInt(Integer::intValue).sum();
    out.println("  " + nodes + " nodes, " + report.subgraphs() + " subgraphs: " + report.nodesByOp());
    for (Map.Entry<String, InspectReport.TypeTotal> entry : report.initializersByType().entrySet()) {
      out.println("  initializers " + entry.getKey() + ": " + entry.getValue().count() + " (" + Units.bytes(entry.getValue().bytes()) + ")");
    }
    report.externalFiles().forEach((file, size) -> out.println("  external data " + file + " (" + Units.bytes(size) + ")"));
    if (report.duplicates().isEmpty()) {
      out.println("  no duplicated weights of at least " + minBytes + " bytes");
    }
    for (InspectReport.DuplicateGroup group : report.duplicates()) {
      out.println("  duplicates of " + group.kept() + " " + group.dtype() + group.shape() + ":");
      for (InspectReport.Member member : group.members()) {
        out.println("    " + member.relation() + (member.relation().equals("transpose") ? " perm=" + member.perm() : "")
            + "  " + member.name() + " " + member.shape() + "  " + Units.bytes(member.bytes()));
      }
    }
    for (InspectReport.DenseLayerInfo layer : report.denseLayers()) {
      out.println("  dense layer " + layer.node() + " (" + layer.op() + ", weight " + layer.weight() + ", " + layer.inputWidth()
          + " -> " + layer.outputWidth() + ", " + layer.activation() + ")");
    }
    if (report.wastedBytes() > 0) {
      out.println("  a rewrite saves " + report.wastedBytes() + " bytes (" + Units.bytes(report.wastedBytes()) + ")");
    }
  }
}
