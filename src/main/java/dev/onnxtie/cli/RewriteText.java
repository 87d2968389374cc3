package dev.onnxtie.cli;

import dev.onnxtie.Units;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.InsertReport;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import java.io.PrintWriter;
import java.util.List;

/**
 * The text views of {@code rewrite} (a model or a folder) and {@code insert}: each tie on its line,
 * the bytes removed, the size warnings, then the verification (in full, or in one line for a folder
 * without {@code -v}).
 */
final class RewriteText {
  private RewriteText() {}

  static void rewrite(PrintWriter out, FolderRewriteReport folder, boolean isFolder) {
    rewrite(out, folder, isFolder, true);
  }

  /**
   * @param details print each model's verification in full; otherwise in one line (a folder without
   *     {@code -v})
   */
  static void rewrite(
      PrintWriter out, FolderRewriteReport folder, boolean isFolder, boolean details) {
    folder.models().forEach(report -> rewrite(out, report, details));
    if (isFolder) {
      List<String> copied = folder.copied();
      if (!copied.isEmpty()) {
        out.println(
            "copied "
                + Text.count(copied.size(), "other file")
                + " byte for byte: "
                + String.join(", ", copied.subList(0, Math.min(copied.size(), 8)))
                + (copied.size() > 8 ? ", ... (" + (copied.size() - 8) + " more)" : ""));
      }
      folder.notes().forEach(note -> out.println("note: " + note));
      String sizes =
          folder.bytesAfter() == null
              ? ""
              : ": "
                  + Units.bytes(folder.bytesBefore())
                  + " -> "
                  + Units.bytes(folder.bytesAfter())
                  + " ("
                  + folder.bytesBefore()
                  + " -> "
                  + folder.bytesAfter()
                  + " bytes)"
                  + bigger(folder.bytesBefore(), folder.bytesAfter());
      out.println(
          Text.count(folder.models().size(), "model")
              + (folder.dryRun() ? " (dry run)" : "")
              + (folder.sharedData() == null ? "" : " sharing " + folder.sharedData())
              + sizes);
    }
  }

  static void rewrite(PrintWriter out, RewriteReport report) {
    rewrite(out, report, true);
  }

  static void rewrite(PrintWriter out, RewriteReport report, boolean details) {
    int lines = 0;
    out.println(
        report.input()
            + (report.dryRun()
                ? " (dry run: nothing written)"
                : " -> "
                    + report.output()
                    + (report.dataFile() == null ? "" : " (data file " + report.dataFile() + ")")));
    if (report.result().ties().isEmpty()) {
      out.println("  nothing to tie");
    }
    for (TieInfo tie : report.result().ties()) {
      out.println("  " + Text.tie(tie));
      if (tie.grows()) {
        out.println("    " + Text.growth(tie));
      }
      lines++;
    }
    for (String note : report.result().notes()) {
      out.println("  note: " + note);
    }
    long saved = report.result().bytesSaved();
    long ties = report.result().ties().stream().filter(TieInfo::saves).count();
    String files =
        report.bytesAfter() == null || report.bytesBefore() == 0
            ? ""
            : Units.bytes(report.bytesBefore()).equals(Units.bytes(report.bytesAfter()))
                ? "; files "
                    + report.bytesBefore()
                    + " -> "
                    + report.bytesAfter()
                    + " bytes" // rounding would hide the difference
                : "; files "
                    + Units.bytes(report.bytesBefore())
                    + " -> "
                    + Units.bytes(report.bytesAfter());
    out.println(
        "  "
            + Text.count(ties, "tie")
            + ", "
            + saved
            + " tensor bytes "
            + (report.dryRun() ? "would be removed" : "removed")
            + " ("
            + Units.bytes(saved)
            + ")"
            + files);
    if (report.bytesAfter() != null
        && report.bytesBefore() > 0
        && report.bytesAfter() > report.bytesBefore()) {
      out.println(
          "  warning: the output is bigger than the input ("
              + report.bytesBefore()
              + " -> "
              + report.bytesAfter()
              + " bytes): "
              + (saved > 0
                  ? "the nodes the ties added take more room than the duplicates they removed"
                  : !report.result().ties().isEmpty()
                      ? "the nodes the rewrite added (and any change of layout: external data, alignment) take more room than the ones it removed"
                      : "its layout (external data, alignment) takes more room"));
    }
    if (report.verification() != null) {
      if (details) {
        VerifyText.verification(out, report.verification());
      } else {
        out.println("  " + VerifyText.verificationLine(report.verification()));
      }
    }
  }

  private static String bigger(long before, Long after) {
    return after != null && after > before
        ? " (the output is "
            + Units.bytes(after - before)
            + " bigger: the added nodes and layout cost more than the ties save)"
        : "";
  }

  static void insert(PrintWriter out, InsertReport report) {
    out.println(report.input() + " -> " + report.output());
    report.notes().forEach(note -> out.println("  " + note));
    if (report.verification() != null) {
      VerifyText.verification(out, report.verification());
    }
  }
}
