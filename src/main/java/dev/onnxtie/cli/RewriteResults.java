package dev.onnxtie.cli;

import dev.onnxtie.Units;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.Verification;
import java.util.List;
import java.util.Objects;

/**
 * A finished rewrite in the forms {@code onnx-tie rewrite} prints: one file's report as a folder
 * report of one model, and the verdict line that ends the progress on a terminal.
 */
final class RewriteResults {
  private RewriteResults() {}

  /** One file's report as a folder's of one model: the form Text, Json and the HTML report take. */
  static FolderRewriteReport single(RewriteReport report) {
    return new FolderRewriteReport(
        report.input(),
        report.output(),
        report.dryRun(),
        List.of(report),
        null,
        report.bytesBefore(),
        report.bytesAfter(),
        List.of(),
        List.of());
  }

  /**
   * The one line that ends the progress on a terminal: {@code OK: 1 tie, 250.0 KiB saved, outputs
   * bitwise identical}.
   *
   * @param models "3 models" for a folder, null for one file
   */
  static String verdict(List<RewriteReport> reports, String models) {
    long ties =
        reports.stream()
            .mapToLong(report -> report.result().ties().stream().filter(TieInfo::saves).count())
            .sum();
    long saved = reports.stream().mapToLong(report -> report.result().bytesSaved()).sum();
    boolean dryRun = reports.stream().anyMatch(RewriteReport::dryRun);
    String text =
        (dryRun
                ? "OK (dry run): would tie " + Text.count(ties, "duplicate")
                : "OK: " + (models == null ? "" : models + ", ") + Text.count(ties, "tie"))
            + ", "
            + Units.bytes(saved)
            + (dryRun ? " to save" : " saved");
    List<Verification> verified =
        reports.stream().map(RewriteReport::verification).filter(Objects::nonNull).toList();
    if (verified.isEmpty()) {
      return text + (dryRun ? "" : ", not verified (--verify runs both in ONNX Runtime)");
    }
    boolean bitwise =
        verified.stream()
            .allMatch(
                v ->
                    v.runs().stream()
                        .allMatch(
                            run ->
                                run.outputs().stream()
                                    .allMatch(Verification.Output::bitwiseIdentical)));
    return text
        + (bitwise ? ", outputs bitwise identical" : ", outputs match within atol and rtol");
  }
}
