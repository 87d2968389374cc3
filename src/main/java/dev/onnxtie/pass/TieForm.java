package dev.onnxtie.pass;

/** How readers of a removed transposed duplicate read the kept tensor. */
public enum TieForm {
  /** A shared {@code Transpose} node over the kept initializer. */
  TRANSPOSE,
  /**
   * {@code MatMul(X, Wᵀ)} becomes {@code Gemm(X, W, transB=1)} (with {@code Reshape} around it for
   * inputs of rank other than 2), so ONNX Runtime never materializes a transposed copy; other
   * readers fall back to the transpose form.
   */
  GEMM
}
