package dev.onnxtie.verify;

import ai.onnxruntime.OrtSession.SessionOptions;

/** ONNX Runtime's graph optimization level for the sessions of a verification. */
public enum OptLevel {
  /** No graph optimization: runs the graph as written. */
  DISABLE(SessionOptions.OptLevel.NO_OPT),
  /** Basic, semantics-preserving rewrites such as constant folding. */
  BASIC(SessionOptions.OptLevel.BASIC_OPT),
  /** Basic plus fusions of known subgraphs. */
  EXTENDED(SessionOptions.OptLevel.EXTENDED_OPT),
  /** Everything, including layout changes (ONNX Runtime's default). */
  ALL(SessionOptions.OptLevel.ALL_OPT);

  private final SessionOptions.OptLevel ortLevel;

  OptLevel(SessionOptions.OptLevel ortLevel) {
    this.ortLevel = ortLevel;
  }

  /** The matching ONNX Runtime level. */
  public SessionOptions.OptLevel ortLevel() {
    return ortLevel;
  }
}
