package dev.onnxtie.cli;

import dev.onnxtie.Units;
import dev.onnxtie.api.CrossFileGroup;
import dev.onnxtie.api.FolderInspectReport;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.KeptDuplicate;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The text views of {@code inspect}: a model's interface, duplicates and ties, and for a folder the
 * tensors held in several files and what {@code --shared-data} would save.
 */
final class InspectText {
  private InspectText() {}

  static void inspect(PrintWriter out, FolderInspectReport folder) {
    folder.models().forEach(report -> inspect(out, report));
    Text.refused(out, folder.refused());
    for (CrossFileGroup group : folder.acrossFiles()) {
      out.println(
          "across files: "
              + group.tensor()
              + " "
              + group.dtype()
              + group.shape()
              + " of "
              + group.file()
              + " is held by:");
      for (CrossFileGroup.Copy copy : group.copies()) {
        out.println(
            "  "
                + copy.relation().text()
                + "  "
                + copy.file()
                + ": "
                + copy.tensor()
                + "  "
                + Units.bytes(copy.bytes())
                + (copy.storedOnce() ? "  (stored once: shared external data)" : ""));
      }
    }
    if (folder.wastedAcrossFiles() > 0) {
      out.println(
          "rewrite with --shared-data saves "
              + Text.count(folder.wastedAcrossFiles(), "byte")
              + " across files ("
              + Units.bytes(folder.wastedAcrossFiles())
              + ") more than rewriting each file on its own: "
              + folder.bytesBefore()
              + " -> "
              + folder.bytesAfterShared()
              + " bytes, against "
              + folder.bytesAfterEach());
    } else if (folder.bytesBefore() != null
        && folder.acrossFiles().stream().anyMatch(g -> g.wastedBytes() > 0)) {
      out.println(
          "rewrite with --shared-data would not save more than rewriting each file on its own: "
              + folder.bytesBefore()
              + " -> "
              + folder.bytesAfterShared()
              + " bytes, against "
              + folder.bytesAfterEach()
              + " (the copies across files are kept)");
    }
  }

  static void inspect(PrintWriter out, InspectReport report) {
    out.println(report.path());
    out.println(
        "  IR version "
            + report.irVersion()
            + ", opsets "
            + report.opsets()
            + (report.producer().isEmpty() ? "" : ", produced by " + report.producer()));
    for (InspectReport.Value input : report.inputs()) {
      out.println("  input  " + input.name() + " " + input.dtype() + " " + dims(input.dims()));
    }
    for (InspectReport.Value output : report.outputs()) {
      out.println("  output " + output.name() + " " + output.dtype() + " " + dims(output.dims()));
    }
    int nodes = report.nodesByOp().values().stream().mapToInt(Integer::intValue).sum();
    out.println(
        "  "
            + Text.count(nodes, "node")
            + ", "
            + Text.count(report.subgraphs(), "subgraph")
            + ": "
            + report.nodesByOp());
    for (Map.Entry<String, InspectReport.TypeTotal> entry :
        report.initializersByType().entrySet()) {
      out.println(
          "  initializers "
              + entry.getKey()
              + ": "
              + entry.getValue().count()
              + " ("
              + Units.bytes(entry.getValue().bytes())
              + ")");
    }
    for (Map.Entry<String, InspectReport.TypeTotal> entry : report.constantsByType().entrySet()) {
      out.println(
          "  Constant nodes "
              + entry.getKey()
              + ": "
              + entry.getValue().count()
              + " ("
              + Units.bytes(entry.getValue().bytes())
              + ")");
    }
    report
        .externalFiles()
        .forEach(
            (file, size) ->
                out.println("  external data " + file + " (" + Units.bytes(size) + ")"));
    if (report.duplicates().isEmpty()) {
      out.println("  no duplicated weights of at least " + Text.count(report.minBytes(), "byte"));
    }
    for (InspectReport.DuplicateGroup group : report.duplicates()) {
      out.println("  duplicates of " + group.kept() + " " + group.dtype() + group.shape() + ":");
      for (InspectReport.Member member : group.members()) {
        out.println(
            "    "
                + member.relation().text()
                + "  "
                + member.name()
                + " "
                + member.shape()
                + "  "
                + Units.bytes(member.bytes()));
      }
    }
    for (KeptDuplicate kept : report.kept()) {
      out.println("  " + Text.kept(kept).substring(kept.file().length() + 2));
    }
    for (InspectReport.TransposedTie tie : report.transposedTies()) {
      out.println("  " + Text.transposed(tie));
    }
    for (InspectReport.DenseLayerInfo layer : report.denseLayers()) {
      out.println(
          "  dense layer "
              + layer.node()
              + " ("
              + layer.op()
              + ", weight "
              + layer.weight()
              + ", "
              + layer.inputWidth()
              + " -> "
              + layer.outputWidth()
              + ", "
              + layer.activation()
              + ")");
    }
    if (report.wastedBytes() > 0) {
      out.println(
          "  a rewrite saves "
              + Text.count(report.wastedBytes(), "byte")
              + " ("
              + Units.bytes(report.wastedBytes())
              + ")"
              + (report.bytesBefore() == null
                  ? ""
                  : ": " + report.bytesBefore() + " -> " + report.bytesAfter() + " bytes on disk"));
    }
  }

  private static String dims(List<Object> dims) {
    if (dims == null) {
      return "[?]";
    }
    List<String> text = new ArrayList<>();
    dims.forEach(d -> text.add(d == null ? "?" : d.toString()));
    return "[" + String.join(", ", text) + "]";
  }
}
