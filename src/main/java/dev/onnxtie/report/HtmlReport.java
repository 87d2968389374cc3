package dev.onnxtie.report;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.Units;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.GraphOutline;
import dev.onnxtie.api.GraphOutline.TensorOutline;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.Verification;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 */
public final class HtmlReport {
  /** Ties drawn per model at most; the others are listed without their graphs. */
  static final int MAX_DRAWN_TIES = 100;

  private HtmlReport() {}

  /** Writes the report atomically: a temporary file in the target's folder, renamed into place. */
  public static void write(ReportInput input, Path file) {
    String html = render(input);
    Path folder = file.toAbsolutePath().getParent();
    Path temporary = null;
    try {
      if (Files.isDirectory(file)) {
        throw OnnxTieException.badInput(
            "--report " + file + " is a folder; give a file name such as report.html");
      }
      // a new file of a name no one else uses, with the permissions the umask gives (as the models
      // get)
      temporary =
          folder.resolve(
              ".onnx-tie-report-"
                  + ProcessHandle.current().pid()
                  + "-"
                  + System.nanoTime()
                  + ".tmp");
      try (FileChannel channel =
              FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream out = java.nio.channels.Channels.newOutputStream(channel)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(
            temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
      temporary = null;
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot write the report " + file + ": " + e.getMessage(), e);
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException ignored) {
          // the error above is the one to report
        }
      }
    }
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
        .append(STYLE)
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
        verification(html, model);
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
    return switch (tie.relation().kind()) {
      case "identical" -> "identical copy";
      default -> tie.relation().text();
    };
  }

  private static void verification(StringBuilder html, RewriteReport model) {
    Verification v = model.verification();
    html.append("<section class=\"verification\" data-input=\"")
        .append(Html.escape(model.input()))
        .append("\"><h2>Verification of <code>")
        .append(Html.escape(v.b()))
        .append("</code> against <code>")
        .append(Html.escape(v.a()))
        .append("</code></h2>\n<p>")
        .append(
            v.passed()
                ? "<span class=\"pass\">passed</span>"
                : "<span class=\"fail\">failed</span>")
        .append(" \u00b7 ")
        .append(Html.escape(v.provider()))
        .append(" \u00b7 optimization ")
        .append(Html.escape(v.optLevel()))
        .append(" \u00b7 atol ")
        .append(v.atol())
        .append(", rtol ")
        .append(v.rtol())
        .append(" \u00b7 <span class=\"elements\" data-elements=\"")
        .append(v.elementsCompared())
        .append("\">")
        .append(v.elementsCompared())
        .append(" elements compared</span></p>\n");
    html.append(
        "<table class=\"sessions\"><thead><tr><th>session</th><th>model</th><th>memory (RSS growth)</th><th>weights mapped</th></tr></thead><tbody>");
    char side = 'A';
    for (Verification.Session session : v.sessions()) {
      html.append("<tr><th>")
          .append(side++)
          .append("</th><td><code>")
          .append(Html.escape(session.model()))
          .append("</code></td><td class=\"num\">")
          .append(
              session.rssGrowthBytes() == null
                  ? "n/a"
                  : bytes("rss-growth", session.rssGrowthBytes()))
          .append("</td><td class=\"num\">")
          .append(session.mappedBytes() == null ? "\u2014" : bytes("mapped", session.mappedBytes()))
          .append("</td></tr>");
    }
    html.append("</tbody></table>\n");
    double largest = 0;
    for (Verification.Run run : v.runs()) {
      for (Verification.Output output : run.outputs()) {
        if (output.maxAbsDiff() != null && Double.isFinite(output.maxAbsDiff())) {
          largest = Math.max(largest, output.maxAbsDiff());
        }
      }
    }
    html.append(
            "<table class=\"outputs\"><thead><tr><th>run</th><th>output</th><th>status</th><th>elements</th><th>max |A\u2212B|</th>")
        .append(
            "<th>max rel</th><th>bitwise</th><th>|A\u2212B| (log scale, to the largest)</th></tr></thead><tbody>");
    for (Verification.Run run : v.runs()) {
      for (Verification.Output output : run.outputs()) {
        html.append("<tr class=\"output\" data-output=\"")
            .append(Html.escape(output.name()))
            .append("\" data-bitwise=\"")
            .append(output.bitwiseIdentical())
            .append("\"><td class=\"num\">")
            .append(run.index())
            .append("</td><td><code>")
            .append(Html.escape(output.name()))
            .append("</code></td><td class=\"")
            .append(output.passed() ? "pass" : "fail")
            .append("\">")
            .append(Html.escape(output.status()))
            .append("</td><td class=\"num\">")
            .append(output.elements())
            .append("</td><td class=\"num\">")
            .append(diff(output.maxAbsDiff()))
            .append("</td><td class=\"num\">")
            .append(diff(output.maxRelDiff()))
            .append("</td><td>")
            .append(output.bitwiseIdentical() ? "bitwise identical" : "no")
            .append("</td><td>");
        if (!output.bitwiseIdentical()
            && output.maxAbsDiff() != null
            && output.maxAbsDiff() > 0
            && largest > 0) {
          // log scale over 12 decades below the largest difference
          double decades = Math.log10(largest / output.maxAbsDiff());
          double width = Math.max(2, 100 - decades / 12 * 100);
          html.append("<div class=\"bar diff\"><span style=\"width:")
              .append(Math.round(width))
              .append("%\"></span></div>");
        }
        html.append("</td></tr>");
        if (!output.histogram().isEmpty()) {
          html.append("<tr class=\"histogram\" data-output=\"")
              .append(Html.escape(output.name()))
              .append("\" data-run=\"")
              .append(run.index())
              .append("\"><td></td><td colspan=\"7\">");
          histogram(html, output, run.index());
          html.append("</td></tr>");
        }
      }
    }
    html.append("</tbody></table>\n</section>\n");
  }

  private static final int BIN_WIDTH = 40;
  private static final int PLOT_HEIGHT = 80;
  private static final int PLOT_TOP = 14;

  /**
   * The histogram of |A - B| of one output as an SVG bar chart: one bar per fixed bin, its height
   * on a log scale of the count ({@code log(1 + count)}, so that one NaN shows beside a million
   * zeros), the exact count in {@code data-count} and the tooltip.
   */
  private static void histogram(StringBuilder html, Verification.Output output, int run) {
    List<Verification.Bin> bins = output.histogram();
    long most = bins.stream().mapToLong(Verification.Bin::count).max().orElse(0);
    int width = bins.size() * BIN_WIDTH + 8;
    int height = PLOT_TOP + PLOT_HEIGHT + 32;
    String caption =
        "|A\u2212B| of " + output.name() + " in run " + run + ": elements per bin, log scale";
    html.append("<svg class=\"histogram\" role=\"img\" width=\"")
        .append(width)
        .append("\" height=\"")
        .append(height)
        .append("\" viewBox=\"0 0 ")
        .append(width)
        .append(' ')
        .append(height)
        .append("\" aria-label=\"")
        .append(Html.escape(caption))
        .append("\"><title>")
        .append(Html.escape(caption))
        .append("</title>");
    int baseline = PLOT_TOP + PLOT_HEIGHT;
    html.append("<line class=\"axis\" x1=\"4\" y1=\"")
        .append(baseline)
        .append("\" x2=\"")
        .append(width - 4)
        .append("\" y2=\"")
        .append(baseline)
        .append("\"/>");
    for (int i = 0; i < bins.size(); i++) {
      Verification.Bin bin = bins.get(i);
      String kind =
          bin.lower() == null
              ? "naninf"
              : bin.upper() != null && bin.upper() == 0 ? "zero" : "range";
      double bar =
          bin.count() == 0 || most == 0
              ? 0
              : Math.max(2, Math.log1p(bin.count()) / Math.log1p(most) * PLOT_HEIGHT);
      int x = 4 + i * BIN_WIDTH;
      int center = x + BIN_WIDTH / 2;
      String label = Html.escape(bin.label());
      html.append("<g class=\"bin ")
          .append(kind)
          .append("\" data-label=\"")
          .append(label)
          .append("\" data-count=\"")
          .append(bin.count())
          .append("\"><title>")
          .append(label)
          .append(": ")
          .append(bin.count())
          .append(bin.count() == 1 ? " element" : " elements")
          .append("</title><rect x=\"")
          .append(x + 4)
          .append("\" y=\"")
          .append(round(baseline - bar))
          .append("\" width=\"")
          .append(BIN_WIDTH - 8)
          .append("\" height=\"")
          .append(round(bar))
          .append("\"/>");
      if (bin.count() > 0) {
        html.append("<text class=\"count\" x=\"")
            .append(center)
            .append("\" y=\"")
            .append(round(baseline - bar - 3))
            .append("\">")
            .append(compact(bin.count()))
            .append("</text>");
      }
      html.append("<text class=\"label\" x=\"")
          .append(center)
          .append("\" y=\"")
          .append(baseline + 14)
          .append("\">")
          .append(label)
          .append("</text></g>");
    }
    html.append("<text class=\"label\" x=\"")
        .append(width / 2)
        .append("\" y=\"")
        .append(baseline + 29)
        .append("\">|A\u2212B| from the bin\u2019s lower edge (decades)</text></svg>");
  }

  private static String round(double value) {
    return BigDecimal.valueOf(value)
        .setScale(1, RoundingMode.HALF_UP)
        .stripTrailingZeros()
        .toPlainString();
  }

  /** A count in at most five characters: {@code 9999}, {@code 12k}, {@code 3.4M}, {@code 5.6G}. */
  static String compact(long count) {
    if (count < 10_000) {
      return Long.toString(count);
    }
    if (count < 1_000_000) {
      return (count / 1000) + "k";
    }
    if (count < 1_000_000_000) {
      return String.format(java.util.Locale.ROOT, "%.1fM", count / 1e6);
    }
    return String.format(java.util.Locale.ROOT, "%.1fG", count / 1e9);
  }

  private static String diff(Double value) {
    if (value == null) {
      return "\u2014";
    }
    return value == 0 ? "0" : String.format(java.util.Locale.ROOT, "%.3g", value);
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

  private static final String STYLE =
      """
      :root{color-scheme:light;--fg:#1d2330;--muted:#667085;--line:#d0d5dd;--kept:#1f7a4d;--removed:#b42318;--added:#175cd3}
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1200px;padding:16px 24px}
      code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
      h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:0 0 4px}
      .command code{display:block;background:#f2f4f7;padding:6px 8px;border-radius:4px;white-space:pre-wrap}
      .muted{color:var(--muted)}.defs{position:absolute}
      table{border-collapse:collapse;margin:6px 0}th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top}
      thead th{font-weight:600;border-bottom:1px solid var(--line)}.num{text-align:right;white-space:nowrap}
      table.bytes{width:100%}table.bytes td:nth-child(3){width:55%}
      .bar{position:relative;z-index:0;height:18px;margin:2px 0;font-size:12px;line-height:18px;padding-left:4px;white-space:nowrap}
      .bar span[style]{position:absolute;left:0;top:0;bottom:0;z-index:-1;border-radius:2px}
      .bar.before span[style]{background:#fecdca}.bar.after span[style]{background:#abefc6}.bar.diff span[style]{background:#fedf89}
      .bar.diff{width:160px}
      article.tie{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:12px 0}
      .relation{font-weight:600}.outcome{font-style:italic}
      tr.kept th{color:var(--kept)}tr.removed th{color:var(--removed)}
      .pair{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
      figure{margin:4px 0;border:1px solid #eaecf0;border-radius:4px;padding:4px 8px;overflow-x:auto;max-width:100%}
      figcaption{font-weight:600;font-size:12px;text-transform:uppercase;color:var(--muted)}
      svg.graph text{font:12px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;text-anchor:middle;fill:var(--fg)}
      svg.graph text.detail{fill:var(--muted);font-size:11px}
      svg.graph rect{fill:#fff;stroke:#98a2b3;stroke-width:1.2}
      svg.graph .tensor rect{fill:#f9fafb}svg.graph .kept rect{stroke:var(--kept);stroke-width:2.2;fill:#ecfdf3}
      svg.graph .removed rect{stroke:var(--removed);stroke-width:2.2;fill:#fef3f2;stroke-dasharray:5 3}
      svg.graph .added rect{stroke:var(--added);stroke-width:2.2;fill:#eff8ff}svg.graph .more rect{stroke-dasharray:3 3}
      svg.graph path.edge{fill:none;stroke:#667085;stroke-width:1.2}marker path{fill:#667085}
      svg.histogram text{font:10px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;text-anchor:middle;fill:var(--fg)}
      svg.histogram .axis{stroke:#98a2b3}svg.histogram .range rect{fill:#fdb022}svg.histogram .zero rect{fill:#47cd89}
      svg.histogram .naninf rect{fill:#f04438}svg.histogram text.label{fill:var(--muted)}
      .pass{color:var(--kept);font-weight:600}.fail{color:var(--removed);font-weight:600}
      """;
}
