package dev.onnxtie.cli;

import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.CrossFileGroup;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.KeptDuplicate;
import java.io.PrintWriter;

/** The text view of {@code check}: every untied duplicate, then the verdict and its fix. */
final class CheckText {
  private CheckText() {}

  /**
   * What check found, ending with its verdict and the fix the report names ({@link
   * CheckReport#fix()}).
   */
  static void check(PrintWriter out, CheckReport report) {
    Text.refused(out, report.refused());
    report
        .withinFiles()
        .forEach(
            (file, groups) -> {
              for (InspectReport.DuplicateGroup group : groups) {
                for (InspectReport.Member member : group.members()) {
                  out.println(
                      file
                          + ": "
                          + member.name()
                          + " "
                          + member.shape()
                          + " is "
                          + Text.relationOf(member.relation())
                          + " "
                          + group.kept()
                          + ", wasting "
                          + Text.count(member.bytes(), "byte"));
                }
              }
            });
    for (CrossFileGroup group : report.acrossFiles()) {
      for (CrossFileGroup.Copy copy : group.copies()) {
        if (!copy.storedOnce()) {
          out.println(
              copy.file()
                  + ": "
                  + copy.tensor()
                  + " "
                  + copy.shape()
                  + " is "
                  + Text.relationOf(copy.relation())
                  + " "
                  + group.tensor()
                  + " in "
                  + group.file()
                  + ", wasting "
                  + Text.count(copy.bytes(), "byte"));
        }
      }
    }
    for (KeptDuplicate kept : report.kept()) {
      out.println(Text.kept(kept));
    }
    report
        .transposedTies()
        .forEach(
            (file, ties) -> ties.forEach(tie -> out.println(file + ": " + Text.transposed(tie))));
    int transposed = report.transposedTieCount();
    String heldTwice =
        Text.count(transposed, "weight") + " tied via Transpose, held twice by ONNX Runtime";
    String keptNote =
        report.kept().isEmpty()
            ? ""
            : "; "
                + Text.count(report.kept().size(), "duplicate")
                + " kept (listed above with the reason)";
    String fix =
        report.fix() != null
            ? "; fix: " + report.fix()
            : report.noFix() != null ? "; no fix suggested: " + report.noFix() : "";
    if (report.withinFiles().isEmpty() && !report.refused().isEmpty()) {
      out.println(
          "check failed: none of the "
              + Text.count(report.refused().size(), "model")
              + " could be read, nothing was checked");
    } else if (report.passed()) {
      out.println(
          "check passed: no untied duplicates of at least "
              + Text.count(report.minBytes(), "byte")
              + " that a rewrite removes"
              + keptNote
              + (transposed > 0
                  ? " ("
                      + Text.count(transposed, "weight")
                      + " tied via Transpose; --transposed-ties fails on them)"
                  : ""));
      if (report.noFix() != null) {
        out.println("no rewrite suggested: " + report.noFix());
      }
    } else if (report.wastedBytes() > 0) {
      out.println(
          "check failed: "
              + Text.count(report.wastedBytes(), "byte")
              + " in untied duplicates (files "
              + report.bytesBefore()
              + " -> "
              + report.bytesAfter()
              + " bytes after the fix)"
              + keptNote
              + (report.transposedTiesFail() && transposed > 0 ? " and " + heldTwice : "")
              + fix);
    } else {
      out.println("check failed: " + heldTwice + fix);
    }
  }
}
