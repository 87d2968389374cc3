package dev.onnxtie.cli;

import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.OnnxTie;
import dev.onnxtie.tie.TieFinder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  @Override
  public Integer call() {
    List<Path> models = new ArrayList<>();
    for (Path target : targets) {
      models.addAll(Files.isDirectory(target) ? OnnxTie.modelsIn(target) : List.of(target));
    }
    Map<String, InspectReport> reports = new LinkedHashMap<>();
    long wasted = 0;
    for (Path model : models) {
      InspectReport report = OnnxTie.inspect(model, minBytes);
      reports.put(model.toString(), report);
      wasted += report.wastedBytes();
    }
    boolean failed = wasted > 0;
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("passed", !failed);
      document.put("wastedBytes", wasted);
      Map<String, Object> files = new LinkedHashMap<>();
      reports.forEach((file, report) -> files.put(file, Map.of("duplicates", report.duplicates(), "wastedBytes", report.wastedBytes())));
      document.put("models", files);
      out.println(Json.of(document));
    } else {
      reports.forEach((file, report) -> {
        for (InspectReport.DuplicateGroup group : report.duplicates()) {
          for (InspectReport.Member member : group.members()) {
            out.println(file + ": " + member.name() + " " + member.shape() + " is " + member.relation()
                + (member.relation().equals("transpose") ? " " + member.perm() : "") + " of " + group.kept() + ", wasting " + member.bytes() + " bytes");
          }
        }
      });
      out.println(failed ? "check failed: " + wasted + " bytes in untied duplicates (run 'onnx-tie rewrite')" : "check passed: no untied duplicates of at least " + minBytes + " bytes");
    }
    return failed ? 1 : 0;
  }
}
