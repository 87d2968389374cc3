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

  /**
   * The hint for a session that ONNX Runtime failed to create at this level with {@code message}: a
   * failure inside a fusion (extended and all; ONNX Runtime 1.24's SimplifiedLayerNormFusion on
   * fp16 exports) goes away at basic, one inside its constant folding (basic and up) at disable.
   * Empty for every other failure (a kernel that refuses its attributes fails at every level).
   */
  public String retryHint(String message) {
    String text = String.valueOf(message);
    if (!text.contains("initialization")) {
      return "";
    }
    if (text.contains("Fusion") && compareTo(BASIC) > 0) {
      return " (an optimizer failure in ONNX Runtime: retry with --opt-level basic)";
    }
    if (text.contains("optimizer") && compareTo(DISABLE) > 0) {
      return " (an optimizer failure in ONNX Runtime: retry with --opt-level disable)";
    }
    return "";
  }
}
