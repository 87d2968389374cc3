package dev.onnxtie.pass;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How the readers of a tied tensor read the kept one afterwards: the forms {@link TieWeights}
 * rewires by, as a type. Reports and JSON carry the words ({@link TieRecord#form()}), made here
 * only: the lower-case name, several joined by {@code +} in this order (e.g. {@code gemm+transpose}
 * when some readers took the Gemm form and the others read a Transpose).
 */
enum ReaderForm {
  /** Not applied. */
  NONE,
  /** A graph output keeps its name: an Identity of the kept tensor writes it. */
  IDENTITY,
  /** Readers read the kept tensor itself. */
  REWIRE,
  /** Readers read a Reshape of the kept tensor. */
  RESHAPE,
  /** Readers (MatMul) became Gemm with transB=1 on the kept tensor. */
  GEMM,
  /** Readers read a Transpose of the kept tensor. */
  TRANSPOSE;

  /** The form's word in reports and JSON. */
  String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The words of several forms, joined by {@code +} in the order of this enum. */
  static String words(Set<ReaderForm> forms) {
    return forms.stream().sorted().map(ReaderForm::word).collect(Collectors.joining("+"));
  }
}
