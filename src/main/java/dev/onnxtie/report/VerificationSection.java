package dev.onnxtie.report;

import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.Verification;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;

/**
 * The verification's section of the {@link HtmlReport}: the verdict and settings, the two sessions
 * with their memory, and every output of every run with its differences, a bar on a log scale and
 * the histogram of |A - B| as an SVG bar chart. Exact counts are in {@code data-} attributes.
 */
final class VerificationSection {
  private VerificationSection() {}

  /** The section of one model's verification. */
  static void render(StringBuilder html, RewriteReport model) {
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
                  : HtmlReport.bytes("rss-growth", session.rssGrowthBytes()))
          .append("</td><td class=\"num\">")
          .append(
              session.mappedBytes() == null
                  ? "\u2014"
                  : HtmlReport.bytes("mapped", session.mappedBytes()))
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
      return String.format(Locale.ROOT, "%.1fM", count / 1e6);
    }
    return String.format(Locale.ROOT, "%.1fG", count / 1e9);
  }

  private static String diff(Double value) {
    if (value == null) {
      return "\u2014";
    }
    return value == 0 ? "0" : String.format(Locale.ROOT, "%.3g", value);
  }
}
