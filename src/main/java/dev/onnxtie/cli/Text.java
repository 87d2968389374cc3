package dev.onnxtie.cli;

import dev.onnxtie.Units;
import dev.onnxtie.api.CheckReport;
import dev.onnxtie.api.CrossFileGroup;
import dev.onnxtie.api.FolderInspectReport;
import dev.onnxtie.api.FolderRewriteReport;
import dev.onnxtie.api.InsertReport;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.KeptDuplicate;
import dev.onnxtie.api.RefusedFile;
import dev.onnxtie.api.RewriteReport;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.TieRelation;
import dev.onnxtie.api.Verification;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The human-readable views of the api's records: the text twin of {@link Json}. One job over about
 * 750 lines: every command's table, kept in one class so that they share the column layout, number
 * formats and verdict lines that the tests compare byte for byte (one class per command's view
 * would be the next split).
 */
final class Text {
  /** Reports longer than this many lines repeat their verdict at the end. */
  static final int LONG_REPORT_LINES = 12;

  private Text() {}

  /** "1 tie", "2 ties". */
  static String count(long n, String singular) {
    return n
        + " "
        + (n == 1 ? singular : singular.endsWith("s") ? singular + "es" : singular + "s");
  }

  /**
   * One tie on one line: the one place a tie's fields become text (its relation in the words of
   * {@link dev.onnxtie.api.TieRelation#text()}). A tie that existed as a Transpose node and now
   * takes the Gemm form says which MatMuls read the kept tensor.
   */
  static String tie(TieInfo tie) {
    if (tie.existing()) {
      return (tie.outcome().equals("would tie") ? "would read " : "reads ")
          + tie.kept()
          + " through Gemm(transB=1) in "
          + count(tie.readers(), "MatMul")
          + " instead of through Transpose "
          + tie.shape()
          + " ("
          + tie.removed()
          + "): ONNX Runtime holds it once";
    }
    String verb =
        switch (tie.outcome()) {
          case "tied" -> "tied ";
          case "would tie" -> "would tie ";
          default -> "kept ";
        };
    return verb
        + tie.removed()
        + " "
        + tie.shape()
        + " = "
        + relationOf(tie.relation())
        + " "
        + tie.kept()
        + "  ("
        + count(tie.readers(), "reader")
        + ", "
        + tie.form()
        + ", "
        + Units.bytes(tie.bytes())
        + ")"
        + (tie.saves() ? "" : "  not removed: " + tie.reason());
  }

  /** The warning under a tie whose added nodes and initializers take more bytes than it removes. */
  static String growth(TieInfo tie) {
    return "warning: this tie makes the file bigger: the nodes and initializers it adds take "
        + count(tie.addedBytes(), "byte")
        + ", the duplicate it removes "
        + count(tie.bytes(), "byte");
  }

  /**
   * An existing tie through a Transpose that ONNX Runtime materializes, as inspect and check list
   * it.
   */
  static String transposed(InspectReport.TransposedTie tie) {
    return tie.weight()
        + " "
        + tie.dtype()
        + tie.shape()
        + " is tied via Transpose "
        + tie.transpose()
        + " ("
        + count(tie.matmuls(), "MatMul reader")
        + ") and also read by "
        + String.join(", ", tie.otherReaders())
        + "; ONNX Runtime will hold "
        + tie.weight()
        + " twice ("
        + Units.bytes(tie.bytes())
        + " more); `rewrite --form gemm` fixes it";
  }

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
                + count(copied.size(), "other file")
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
          count(folder.models().size(), "model")
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
      out.println("  " + tie(tie));
      if (tie.grows()) {
        out.println("    " + growth(tie));
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
            + count(ties, "tie")
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
        verification(out, report.verification());
      } else {
        out.println("  " + verificationLine(report.verification()));
      }
    }
  }

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
        + count(outputs, "output")
        + " "
        + (bitwise ? "bitwise identical" : "within atol and rtol")
        + " in "
        + count(report.runs().size(), "run")
        + (memory.isEmpty()
            ? ""
            : "; sessions "
                + String.join(" / ", memory)
                + " MiB RSS"
                + (method == null ? "" : " (" + method + ")"))
        + (report.notes().isEmpty() ? "" : "; " + count(report.notes().size(), "note") + " (-v)");
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
      verification(out, report.verification());
    }
  }

  /**
   * What check found, ending with its verdict and the fix the report names ({@link
   * CheckReport#fix()}).
   */
  static void check(PrintWriter out, CheckReport report) {
    refused(out, report.refused());
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
                          + relationOf(member.relation())
                          + " "
                          + group.kept()
                          + ", wasting "
                          + count(member.bytes(), "byte"));
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
                  + relationOf(copy.relation())
                  + " "
                  + group.tensor()
                  + " in "
                  + group.file()
                  + ", wasting "
                  + count(copy.bytes(), "byte"));
        }
      }
    }
    for (KeptDuplicate kept : report.kept()) {
      out.println(kept(kept));
    }
    report
        .transposedTies()
        .forEach((file, ties) -> ties.forEach(tie -> out.println(file + ": " + transposed(tie))));
    int transposed = report.transposedTieCount();
    String heldTwice =
        count(transposed, "weight") + " tied via Transpose, held twice by ONNX Runtime";
    String keptNote =
        report.kept().isEmpty()
            ? ""
            : "; "
                + count(report.kept().size(), "duplicate")
                + " kept (listed above with the reason)";
    String fix =
        report.fix() != null
            ? "; fix: " + report.fix()
            : report.noFix() != null ? "; no fix suggested: " + report.noFix() : "";
    if (report.withinFiles().isEmpty() && !report.refused().isEmpty()) {
      out.println(
          "check failed: none of the "
              + count(report.refused().size(), "model")
              + " could be read, nothing was checked");
    } else if (report.passed()) {
      out.println(
          "check passed: no untied duplicates of at least "
              + count(report.minBytes(), "byte")
              + " that a rewrite removes"
              + keptNote
              + (transposed > 0
                  ? " ("
                      + count(transposed, "weight")
                      + " tied via Transpose; --transposed-ties fails on them)"
                  : ""));
      if (report.noFix() != null) {
        out.println("no rewrite suggested: " + report.noFix());
      }
    } else if (report.wastedBytes() > 0) {
      out.println(
          "check failed: "
              + count(report.wastedBytes(), "byte")
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

  /** A duplicate left in place, as inspect, check and rewrite list it. */
  static String kept(KeptDuplicate kept) {
    return kept.file()
        + ": kept "
        + kept.tensor()
        + " ("
        + relationOf(kept.relation())
        + " "
        + kept.copyOf()
        + (kept.copyOfFile().equals(kept.file()) ? "" : " in " + kept.copyOfFile())
        + ", "
        + count(kept.bytes(), "byte")
        + "), because "
        + kept.reason();
  }

  static void inspect(PrintWriter out, FolderInspectReport folder) {
    folder.models().forEach(report -> inspect(out, report));
    refused(out, folder.refused());
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
              + count(folder.wastedAcrossFiles(), "byte")
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

  /** Each refused file with its reason, one line each. */
  static void refused(PrintWriter out, List<RefusedFile> refused) {
    for (RefusedFile file : refused) {
      out.println(file.path() + ": refused: " + file.reason());
    }
  }

  /**
   * The closing line of a command that refused some of several files: null when none was refused.
   */
  static String refusedSummary(List<RefusedFile> refused, int readable) {
    if (refused.isEmpty()) {
      return null;
    }
    return count(refused.size(), "model")
        + " of "
        + (refused.size() + readable)
        + " refused ("
        + String.join(", ", refused.stream().map(RefusedFile::path).toList())
        + ")"
        + (readable == 0 ? "; none could be read" : "; the others are reported above");
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
            + count(nodes, "node")
            + ", "
            + count(report.subgraphs(), "subgraph")
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
      out.println("  no duplicated weights of at least " + count(report.minBytes(), "byte"));
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
      out.println("  " + kept(kept).substring(kept.file().length() + 2));
    }
    for (InspectReport.TransposedTie tie : report.transposedTies()) {
      out.println("  " + transposed(tie));
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
              + count(report.wastedBytes(), "byte")
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

  /**
   * The relation as the words before the kept tensor's name: "a copy of", "transpose [1, 0] of",
   * ...
   */
  private static String relationOf(TieRelation relation) {
    return relation instanceof TieRelation.Identical ? "a copy of" : relation.text() + " of";
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
