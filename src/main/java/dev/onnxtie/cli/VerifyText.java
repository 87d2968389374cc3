package dev.onnxtie.cli;

import dev.onnxtie.api.Verification;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The text views of a verification ({@code verify}, and {@code rewrite --verify}, {@code insert
 * --verify}): the full table of sessions, inputs and outputs per run, or one line.
 */
final class VerifyText {
  /** Reports longer than this many lines repeat their verdict at the end. */
  static final int LONG_REPORT_LINES = 12;

  private VerifyText() {}

  /**
   * A verification in one line, as a folder rewrite prints it per model: {@code verified: PASSED, 2
   * outputs bitwise identical in 1 run; sessions +2.7 / +2.7 MiB RSS (fresh-process)}.
   */
  static String verificationLine(Verification report) {
    long outputs = report.runs().isEmpty() ? 0 : report.runs().get(0).outputs().size();
    boolean bitwise =
        report.runs().stream()
            .allMatch(
                run -> run.outputs().stream().allMatch(Verification.Output::bitwiseIdentical));
    List<String> memory = new ArrayList<>();
    String method = null;
    for (Verification.Session session : report.sessions()) {
      memory.add(
          session.rssGrowthBytes() == null
              ? "-"
              : String.format(Locale.ROOT, "%+.1f", session.rssGrowthBytes() / 1048576.0));
      method = session.rssGrowthBytes() == null ? method : session.memoryMethod();
    }
    return "verified: "
        + (report.passed() ? "PASSED" : "FAILED")
        + ", "
        + Text.count(outputs, "output")
        + " "
        + (bitwise ? "bitwise identical" : "within atol and rtol")
        + " in "
        + Text.count(report.runs().size(), "run")
        + (memory.isEmpty()
            ? ""
            : "; sessions "
                + String.join(" / ", memory)
                + " MiB RSS"
                + (method == null ? "" : " (" + method + ")"))
        + (report.notes().isEmpty()
            ? ""
            : "; " + Text.count(report.notes().size(), "note") + " (-v)");
  }

  /** The verification table; the verdict is repeated at the end of a long one. */
  static void verification(PrintWriter out, Verification report) {
    StringBuilder text = new StringBuilder();
    String verdict =
        (report.passed() ? "PASSED" : "FAILED") + ": " + report.b() + " against " + report.a();
    text.append(verdict).append('\n');
    text.append(
        String.format(
            Locale.ROOT,
            "provider %s, opt level %s, atol %s, rtol %s%n",
            report.provider(),
            report.optLevel().toUpperCase(Locale.ROOT),
            tolerance(report.atol()),
            tolerance(report.rtol())));
    if (report.outputs() != null) {
      text.append("compared outputs: ").append(String.join(", ", report.outputs())).append('\n');
    }
    for (Verification.Session session : report.sessions()) {
      text.append("session ")
          .append(session.model())
          .append(": ")
          .append(
              session.rssGrowthBytes() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%+.1f MiB", session.rssGrowthBytes() / 1048576.0))
          .append(" RSS")
          .append(session.rssGrowthBytes() == null ? "" : " (" + session.memoryMethod() + ")");
      if (session.mappedBytes() != null) {
        text.append(
            String.format(
                Locale.ROOT,
                " (%.1f MiB of weights mapped from a page-aligned copy)",
                session.mappedBytes() / 1048576.0));
      }
      text.append('\n');
    }
    if (!report.dims().isEmpty()) {
      text.append("dims: ").append(report.dims()).append('\n');
    }
    for (Verification.InterfaceDifference difference : report.interfaceDifferences()) {
      text.append(
          String.format(
              Locale.ROOT,
              "%s %s: %s (a: %s, b: %s)%n",
              difference.kind(),
              difference.name(),
              difference.problem(),
              Objects.requireNonNullElse(difference.a(), "-"),
              Objects.requireNonNullElse(difference.b(), "-")));
    }
    for (String note : report.notes()) {
      text.append("note: ").append(note).append('\n');
    }
    for (Verification.Run run : report.runs()) {
      text.append("run ")
          .append(run.index())
          .append(run.seed() == null ? "" : " (seed " + run.seed() + ")")
          .append(":\n");
      for (Verification.Input input : run.inputs()) {
        text.append("  input ")
            .append(input.name())
            .append(' ')
            .append(input.dtype())
            .append(shape(input.shape()));
        if (input.file() != null) {
          text.append(" from ").append(input.file());
        } else if (input.source().equals("positions")) {
          text.append(" positions 0..")
              .append(number(input.high() - 1))
              .append(" along the last axis");
        } else if (input.low() != null) {
          text.append(
              Objects.equals(input.low(), input.high())
                  ? " fixed " + number(input.low())
                  : String.format(
                      Locale.ROOT,
                      " random in [%s, %s)",
                      number(input.low()),
                      number(input.high())));
        }
        if (!input.model().equals("both")) {
          text.append(" (model ").append(input.model()).append(" only)");
        }
        text.append('\n');
      }
      if (run.errorB() != null) {
        text.append("  model b failed: ").append(run.errorB()).append('\n');
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(
          new String[] {
            "output", "status", "dtype", "shape", "max abs", "max rel", "bad/total", "bitwise"
          });
      for (Verification.Output output : run.outputs()) {
        String shape =
            Objects.equals(output.shapeA(), output.shapeB())
                ? shape(output.shapeA())
                : shape(output.shapeA()) + " vs " + shape(output.shapeB());
        String dtype =
            Objects.equals(output.dtypeA(), output.dtypeB())
                ? dash(output.dtypeA())
                : dash(output.dtypeA()) + " vs " + dash(output.dtypeB());
        boolean compared = output.maxAbsDiff() != null;
        rows.add(
            new String[] {
              output.name(),
              output.status(),
              dtype,
              shape,
              compared ? diff(output.maxAbsDiff()) : "-",
              compared ? diff(output.maxRelDiff()) : "-",
              compared ? output.outOfTolerance() + "/" + output.elements() : "-",
              output.status().equals("match") || output.status().equals("mismatch")
                  ? (output.bitwiseIdentical() ? "yes" : "no")
                  : "-"
            });
      }
      appendTable(text, rows);
      for (Verification.Output output : run.outputs()) {
        if (!output.passed() && output.detail() != null) {
          text.append("  ").append(output.name()).append(": ").append(output.detail()).append('\n');
        }
      }
    }
    if (text.chars().filter(c -> c == '\n').count() > LONG_REPORT_LINES) {
      text.append(verdict).append('\n');
    }
    out.print(text);
  }

  private static String tolerance(double value) {
    return Double.isInfinite(value) ? "inf" : String.format(Locale.ROOT, "%.2e", value);
  }

  private static String diff(double value) {
    return String.format(Locale.ROOT, "%.3g", value);
  }

  private static String dash(String text) {
    return text == null ? "-" : text;
  }

  private static String number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : Double.toString(value);
  }

  private static String shape(List<Long> shape) {
    return shape == null ? "-" : shape.toString();
  }

  private static void appendTable(StringBuilder text, List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]).append(" ".repeat(widths[i] - row[i].length() + 2));
      }
      text.append(line.toString().stripTrailing()).append('\n');
    }
  }
}
