package dev.onnxtie.report;

import dev.onnxtie.Units;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.GraphOutline.TensorOutline;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.TieRelation;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no font or image to
 * fetch; a Content-Security-Policy that forbids every fetch) with the summary of bytes before and
 * after as bars, every tie with its relation, its tensors and its neighbourhood before and after,
 * the verification's outputs and sessions, the notes, and the command line. Every number of bytes
 * carries its exact value in a {@code data-bytes} attribute, the one the JSON holds.
 *
 * <p>This class writes the page and its summary, notes and ties; the verification's section (its
 * sessions, outputs and histograms) is {@code VerificationSection}'s, the graphs {@link
 * GraphDrawing}'s.
 */
public final class HtmlReport {
  /** Ties drawn per model at most; the others are listed without their graphs. */
  static final int MAX_DRAWN_TIES = 100;

  private HtmlReport() {}

  /** Writes the report atomically: a temporary file in the target's folder, renamed into place. */
  public static void write(ReportInput input, Path file) {
    ReportFile.write(render(input), file);
  }

  /** The page. */
  public static String render(ReportInput input) {
    FolderRewriteReport result = input.result();
    StringBuilder html = new StringBuilder(64 * 1024);
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
        .append(Html.escape(input.title() + ": " + result.input()))
        .append("</title>\n<style>")
        .append(PageStyle.CSS)
        .append("</style>\n</head>\n<body>\n");
    html.append(
            "<svg class=\"defs\" aria-hidden=\"true\" width=\"0\" height=\"0\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" ")
        .append(
            "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0 L10 5 L0 10 z\"/></marker></defs></svg>\n");
    html.append("<header><h1>")
        .append(Html.escape(input.title()))
        .append("</h1>\n<p class=\"command\"><code id=\"command-line\">")
        .append(Html.escape(input.commandLine()))
        .append("</code></p></header>\n");
    summary(html, input);
    notes(html, input);
    for (RewriteReport model : result.models()) {
      ties(html, input, model);
    }
    for (RewriteReport model : result.models()) {
      if (model.verification() != null) {
        VerificationSection.render(html, model);
      }
    }
    return html.append("</body>\n</html>\n").toString();
  }

  private static void summary(StringBuilder html, ReportInput input) {
    FolderRewriteReport result = input.result();
    long ties =
        result.models().stream()
            .mapToLong(m -> m.result().ties().stream().filter(TieInfo::saves).count())
            .sum();
    long saved = result.models().stream().mapToLong(m -> m.result().bytesSaved()).sum();
    html.append("<section id=\"summary\"><h2>Summary</h2>\n<p class=\"verdict\">");
    html.append(result.dryRun() ? "Dry run: would tie " : "Tied ")
        .append(ties)
        .append(ties == 1 ? " duplicate" : " duplicates")
        .append(", ")
        .append(bytes("saved", saved))
        .append(result.dryRun() ? " to save" : " of tensor data saved")
        .append(". Input ")
        .append("<code>")
        .append(Html.escape(result.input()))
        .append("</code>");
    if (result.output() != null) {
      html.append(", output <code>").append(Html.escape(result.output())).append("</code>");
    }
    html.append(".</p>\n");
    if (result.sharedData() != null) {
      html.append(
              "<p class=\"shared\">Every model is written against one shared data file: <code id=\"shared-data\">")
          .append(Html.escape(result.sharedData()))
          .append("</code>; its bytes are counted once, in the total.</p>\n");
    }
    long scale =
        Math.max(
            1,
            Math.max(result.bytesBefore(), result.bytesAfter() == null ? 0 : result.bytesAfter()));
    for (RewriteReport model : result.models()) {
      scale =
          Math.max(
              scale,
              Math.max(model.bytesBefore(), model.bytesAfter() == null ? 0 : model.bytesAfter()));
    }
    html.append(
        "<table class=\"bytes\"><thead><tr><th>file</th><th>ties</th><th>bytes on disk before / after</th><th>saved</th></tr></thead><tbody>\n");
    for (RewriteReport model : result.models()) {
      long count = model.result().ties().stream().filter(TieInfo::saves).count();
      html.append("<tr class=\"model\" data-input=\"")
          .append(Html.escape(model.input()))
          .append("\"><td><code>")
          .append(Html.escape(model.input()))
          .append("</code>");
      if (model.dataFile() != null) {
        html.append("<br><span class=\"muted\">data file ")
            .append(Html.escape(model.dataFile()))
            .append("</span>");
      }
      html.append("</td><td class=\"num\">").append(count).append("</td><td>");
      bars(html, model.bytesBefore(), model.bytesAfter(), scale, result.dryRun());
      html.append("</td><td class=\"num\">")
          .append(bytes("tensor-bytes-saved", model.result().bytesSaved()))
          .append("</td></tr>\n");
    }
    if (input.folder()) {
      html.append("<tr class=\"total\"><td>all files")
          .append(result.sharedData() == null ? "" : " (the shared data file once)")
          .append("</td><td class=\"num\">")
          .append(ties)
          .append("</td><td>");
      bars(html, result.bytesBefore(), result.bytesAfter(), scale, result.dryRun());
      html.append("</td><td class=\"num\">")
          .append(bytes("tensor-bytes-saved", saved))
          .append("</td></tr>\n");
    }
    html.append("</tbody></table>\n");
    if (!result.copied().isEmpty()) {
      html.append("<p class=\"muted\">")
          .append(result.copied().size())
          .append(" other files copied byte for byte.</p>\n");
    }
    html.append("</section>\n");
  }

  private static void bars(
      StringBuilder html, long before, Long after, long scale, boolean dryRun) {
    html.append("<div class=\"bar before\"><span style=\"width:")
        .append(percent(before, scale))
        .append("%\"></span>")
        .append(bytes("bytes-before", before))
        .append(" before</div>");
    html.append("<div class=\"bar after\">");
    if (after == null) {
      html.append(dryRun ? "nothing written (dry run)" : "written to a stream");
    } else {
      html.append("<span style=\"width:")
          .append(percent(after, scale))
          .append("%\"></span>")
          .append(bytes("bytes-after", after))
          .append(" after");
    }
    html.append("</div>");
  }

  private static void notes(StringBuilder html, ReportInput input) {
    List<String> notes = new ArrayList<>(input.printed());
    notes.addAll(input.result().notes());
    for (RewriteReport model : input.result().models()) {
      String prefix = input.folder() ? model.input() + ": " : "";
      model.result().notes().forEach(note -> notes.add(prefix + note));
      if (model.bytesAfter() != null && model.bytesAfter() > model.bytesBefore()) {
        notes.add(
            prefix
                + "warning: the output is bigger than the input ("
                + model.bytesBefore()
                + " -> "
                + model.bytesAfter()
                + " bytes): the nodes the rewrite added (and any change of layout) take more room than the ones it removed");
      }
      model.result().ties().stream()
          .filter(TieInfo::grows)
          .forEach(
              tie ->
                  notes.add(
                      prefix
                          + tie.removed()
                          + ": the tie adds "
                          + tie.addedBytes()
                          + " bytes of graph structure, more than the "
                          + tie.bytes()
                          + " bytes it removes"));
      if (model.verification() != null) {
        model.verification().notes().forEach(note -> notes.add(prefix + "verification: " + note));
      }
    }
    html.append("<section id=\"notes\"><h2>Notes and warnings</h2>\n");
    if (notes.isEmpty()) {
      html.append("<p class=\"muted\">None.</p>\n");
    } else {
      html.append("<ul>");
      notes.forEach(
          note -> html.append("<li class=\"note\">").append(Html.escape(note)).append("</li>"));
      html.append("</ul>\n");
    }
    html.append("</section>\n");
  }

  private static void ties(StringBuilder html, ReportInput input, RewriteReport model) {
    GraphOutline before = input.before().get(model.input());
    GraphOutline after = input.after().get(model.input());
    Neighbourhood.Index beforeIndex = before == null ? null : new Neighbourhood.Index(before);
    Neighbourhood.Index afterIndex = after == null ? null : new Neighbourhood.Index(after);
    List<TieInfo> ties = model.result().ties();
    html.append("<section class=\"model-ties\" data-input=\"")
        .append(Html.escape(model.input()))
        .append("\"><h2>Ties in <code>")
        .append(Html.escape(model.input()))
        .append("</code></h2>\n");
    if (ties.isEmpty()) {
      html.append("<p class=\"muted\">No duplicate found.</p>\n");
    }
    int index = 0;
    for (TieInfo tie : ties) {
      index++;
      html.append("<article class=\"tie\" data-kept=\"")
          .append(Html.escape(tie.kept()))
          .append("\" data-removed=\"")
          .append(Html.escape(tie.removed()))
          .append("\" data-relation=\"")
          .append(tie.relation().kind())
          .append("\" data-form=\"")
          .append(Html.escape(tie.form()))
          .append("\" data-outcome=\"")
          .append(Html.escape(tie.outcome()))
          .append("\">\n<h3>")
          .append(index)
          .append(". <code>")
          .append(Html.escape(tie.removed()))
          .append("</code> \u2192 <code>")
          .append(Html.escape(tie.kept()))
          .append("</code></h3>\n<p><span class=\"relation\">")
          .append(Html.escape(relation(tie)))
          .append("</span> \u00b7 form ")
          .append(Html.escape(tie.form()))
          .append(" \u00b7 <span class=\"outcome\">")
          .append(Html.escape(tie.outcome()))
          .append("</span> \u00b7 ")
          .append(bytes("tie-bytes", tie.bytes()))
          .append(" \u00b7 ")
          .append(tie.readers())
          .append(tie.readers() == 1 ? " reader" : " readers");
      if (!tie.scope().equals("main")) {
        html.append(" \u00b7 in ").append(Html.escape(tie.scope()));
      }
      if (!tie.reason().isEmpty()) {
        html.append(" \u00b7 ").append(Html.escape(tie.reason()));
      }
      html.append(
          "</p>\n<table class=\"tensors\"><thead><tr><th></th><th>tensor</th><th>dtype</th><th>shape</th></tr></thead><tbody>");
      TensorOutline kept = beforeIndex == null ? null : beforeIndex.tensors.get(tie.kept());
      tensorRow(
          html,
          "kept",
          tie.kept(),
          kept == null ? tie.dtype() : kept.dtype(),
          kept == null ? "?" : kept.shape().toString());
      tensorRow(html, "removed", tie.removed(), tie.dtype(), tie.shape().toString());
      html.append("</tbody></table>\n");
      if (index > MAX_DRAWN_TIES || beforeIndex == null) {
        html.append("<p class=\"muted\">")
            .append(
                beforeIndex == null
                    ? "No graph outline of this model."
                    : "Graphs drawn for the first " + MAX_DRAWN_TIES + " ties only.")
            .append("</p>\n");
      } else {
        Map<String, String> seeds = new LinkedHashMap<>();
        seeds.put(tie.kept(), "kept");
        seeds.put(tie.removed(), "removed");
        html.append("<div class=\"pair\">");
        figure(
            html,
            "before",
            Neighbourhood.of(beforeIndex, seeds, null),
            "before: " + tie.removed() + " and " + tie.kept());
        if (afterIndex != null) {
          figure(
              html,
              "after",
              Neighbourhood.of(afterIndex, seeds, beforeIndex),
              "after: " + tie.kept());
        }
        html.append("</div>\n");
      }
      html.append("</article>\n");
    }
    html.append("</section>\n");
  }

  private static void figure(
      StringBuilder html, String which, Neighbourhood.Graph graph, String caption) {
    html.append("<figure class=\"").append(which).append("\"><figcaption>").append(which);
    if (graph.omitted() > 0) {
      html.append(" <span class=\"muted\">(")
          .append(graph.omitted())
          .append(" more readers not drawn)</span>");
    }
    html.append("</figcaption>").append(GraphDrawing.svg(graph, caption)).append("</figure>");
  }

  private static void tensorRow(
      StringBuilder html, String role, String name, String dtype, String shape) {
    html.append("<tr class=\"")
        .append(role)
        .append("\"><th>")
        .append(role)
        .append("</th><td><code>")
        .append(Html.escape(name))
        .append("</code></td><td>")
        .append(Html.escape(dtype))
        .append("</td><td>")
        .append(Html.escape(shape))
        .append("</td></tr>");
  }

  private static String relation(TieInfo tie) {
    return tie.relation() instanceof TieRelation.Identical
        ? "identical copy"
        : tie.relation().text();
  }

  private static String percent(long value, long scale) {
    return BigDecimal.valueOf(value * 100.0 / scale)
        .setScale(2, RoundingMode.HALF_UP)
        .stripTrailingZeros()
        .toPlainString();
  }

  /** A size as people read it, with its exact value in {@code data-bytes} and in the tooltip. */
  static String bytes(String field, long bytes) {
    return "<span class=\"bytes\" data-field=\""
        + field
        + "\" data-bytes=\""
        + bytes
        + "\" title=\""
        + bytes
        + " bytes\">"
        + Units.bytes(bytes)
        + "</span>";
  }
}
