package dev.onnxtie.verify;

/** The ONNX Runtime execution provider a verification asks for. */
public enum Provider {
  /** CUDA when this build of ONNX Runtime has it and a GPU accepts the session, CPU otherwise. */
  AUTO,
  /**
   * CUDA or a bad-input failure: needs the {@code onnxruntime_gpu} build ({@code mvn -Pgpu
   * package}).
   */
  CUDA,
  /** The CPU provider. */
  CPU
}
