package dev.onnxtie.cli;

import dev.onnxtie.api.InspectReport;
import dev.onnxtie.pass.TieRecord;
import dev.onnxtie.tie.CrossFileFinder;

/**
 * The one text renderer of ties, for every command: a relation is put into words only by {@link
 * dev.onnxtie.tie.Relation#text()}, never by comparing strings.
 */
final class TieText {
  private TieText() {}

  /** A tie of a rewrite report, with a warning line when it makes the file bigger. */
  static String of(TieRecord tie, boolean dryRun) {
    if (tie.existing()) {
      return "  " + (dryRun ? "would read " : "reads ") + tie.kept() + " through Gemm(transB=1) in " + readers(tie.readers()).replace("reader", "MatMul")
          + " instead of through Transpose " + tie.shape() + " (" + tie.removed() + "): ONNX Runtime holds it once";
    }
    String verb = !tie.applied() ? "kept " : dryRun ? "would tie " : "tied ";
    StringBuilder line = new StringBuilder("  ").append(verb).append(tie.removed()).append(' ').append(tie.shape()).append(" = ")
        .append(tie.relation().text()).append(" of ").append(tie.kept()).append("  (").append(readers(tie.readers())).append(", ")
        .append(tie.form()).append(", ").append(Units.bytes(tie.bytes())).append(')');
    if (!tie.applied()) {
      line.append("  not removed: ").append(tie.reason());
    }
    if (tie.grows()) {
      line.append(System.lineSeparator()).append("    warning: this tie makes the file bigger: the nodes and initializers it adds take ")
          .append(tie.addedBytes()).append(" bytes, the duplicate it removes ").append(tie.bytes());
    }
    return line.toString();
  }

  /** A duplicate of {@code kept} in one file, as {@code check} lists it. */
  static String wasting(String file, String kept, InspectReport.Member member) {
    return file + ": " + member.name() + " " + member.shape() + " is " + member.relation().text() + " of " + kept + ", wasting "
        + member.bytes() + " bytes";
  }

  /** A duplicate of {@code kept} as {@code inspect} lists it. */
  static String member(InspectReport.Member member) {
    return "    " + member.relation().text() + "  " + member.name() + " " + member.shape() + "  " + Units.bytes(member.bytes());
  }

  /** A copy in another file of a group's tensor. */
  static String copy(CrossFileFinder.Member copy) {
    return copy.relation().text() + "  " + copy.file() + ": " + copy.tensor() + "  " + Units.bytes(copy.bytes())
        + (copy.storedOnce() ? "  (stored once: shared external data)" : "");
  }

  /** An existing tie through a Transpose that ONNX Runtime materializes. */
  static String transposed(InspectReport.TransposedTie tie) {
    return "  " + tie.weight() + " " + tie.dtype() + tie.shape() + " is tied via Transpose " + tie.transpose() + " (" + readers(tie.matmuls())
        .replace("reader", "MatMul reader") + "); ONNX Runtime will hold " + tie.weight() + " twice (" + Units.bytes(tie.bytes())
        + " more); `rewrite --form gemm` fixes it";
  }

  private static String readers(int count) {
    return count + (count == 1 ? " reader" : " readers");
  }
}
