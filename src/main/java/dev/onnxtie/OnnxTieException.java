package dev.onnxtie;

/**
 * The one exception type for domain failures: bad input, a failed check, an I/O problem. It carries
 * the exit code the CLI returns and a one-line message that names the problem and, where possible,
 * the fix. Programmer errors use {@link IllegalArgumentException} / {@link IllegalStateException}.
 */
public class OnnxTieException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Exit code: success. */
  public static final int OK = 0;

  /** Exit code: a verification mismatch or a failed check. */
  public static final int CHECK_FAILED = 1;

  /** Exit code: bad input or usage (unreadable, malformed or hostile model, wrong option). */
  public static final int BAD_INPUT = 2;

  /** Exit code: an internal error (a bug in onnx-tie). */
  public static final int INTERNAL = 3;

  private final int exitCode;

  /**
   * Creates an exception.
   *
   * @param exitCode one of {@link #CHECK_FAILED}, {@link #BAD_INPUT}, {@link #INTERNAL}
   * @param message one line naming the problem
   */
  public OnnxTieException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /**
   * Creates an exception with a cause.
   *
   * @param exitCode the exit code
   * @param message one line naming the problem
   * @param cause the underlying failure
   */
  public OnnxTieException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** A bad-input failure (exit code 2). */
  public static OnnxTieException badInput(String message) {
    return new OnnxTieException(BAD_INPUT, message);
  }

  /** A bad-input failure (exit code 2) with its cause. */
  public static OnnxTieException badInput(String message, Throwable cause) {
    return new OnnxTieException(BAD_INPUT, message, cause);
  }

  /** The exit code the CLI returns for this failure. */
  public int exitCode() {
    return exitCode;
  }
}
