package dev.onnxtie.api;

import dev.onnxtie.pass.TieForm;

/** The api's {@link dev.onnxtie.api.TieForm} as the pass's own form (the two share their names). */
final class PassForms {
  private PassForms() {}

  /** The pass's form of this name ({@code TRANSPOSE} or {@code GEMM}). */
  static TieForm of(String name) {
    return TieForm.valueOf(name);
  }
}
