package dev.onnxtie.report;

import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import java.util.List;
import java.util.Map;

/**
 * What a report is drawn from: the same result record that {@code --json} prints, the outline of
 * each model before and after, and what the command line said.
 *
 * @param title the page's heading, e.g. {@code onnx-tie rewrite}
 * @param commandLine the exact command line, quoted as a shell would need it
 * @param printed notes and warnings the command printed besides its report
 * @param result what the rewrite did: one model, or a folder of them (the record {@code --json}
 *     prints)
 * @param folder true when IN was a folder
 * @param before the outline of each input model, by {@link dev.onnxtie.api.RewriteReport#input()}
 * @param after the outline of each rewritten model (written, or in memory for a dry run), by the
 *     same key
 */
public record ReportInput(
    String title,
    String commandLine,
    List<String> printed,
    FolderRewriteReport result,
    boolean folder,
    Map<String, GraphOutline> before,
    Map<String, GraphOutline> after) {
  /** Defensive copies. */
  public ReportInput {
    printed = List.copyOf(printed);
    before = Map.copyOf(before);
    after = Map.copyOf(after);
  }
}
