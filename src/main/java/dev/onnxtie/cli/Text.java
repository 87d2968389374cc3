package dev.onnxtie.cli;

import dev.onnxtie.Units;
import dev.onnxtie.api.InspectReport;
import dev.onnxtie.api.KeptDuplicate;
import dev.onnxtie.api.RefusedFile;
import dev.onnxtie.api.TieInfo;
import dev.onnxtie.api.TieRelation;
import java.io.PrintWriter;
import java.util.List;

/**
 * What the text views of the commands share ({@link RewriteText}, {@link CheckText}, {@link
 * InspectText}, {@link VerifyText}; the text twins of {@link Json}): counts of things, the line of
 * a tie (the one place a tie's fields become text), of a Transpose-tied weight, a kept duplicate
 * and a refused file, and the words of a relation, so that every command prints them alike.
 */
final class Text {
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

  /**
   * The relation as the words before the kept tensor's name: "a copy of", "transpose [1, 0] of",
   * ...
   */
  static String relationOf(TieRelation relation) {
    return relation instanceof TieRelation.Identical ? "a copy of" : relation.text() + " of";
  }
}
