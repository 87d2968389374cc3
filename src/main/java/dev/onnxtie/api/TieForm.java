package dev.onnxtie.api;

/** How a rewritten model reads a weight tied to a transposed copy of another. */
public enum TieForm {
  /** A Transpose node of the kept weight feeds the readers of the removed one. */
  TRANSPOSE,
  /**
   * Readers that are MatMul become Gemm with {@code transB=1}, so ONNX Runtime holds no transposed
   * copy; other readers get a Transpose.
   */
  GEMM
}
