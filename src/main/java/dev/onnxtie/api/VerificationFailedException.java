package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;

/**
 * A verification inside a rewrite or insert found a mismatch (exit code 1): nothing was written,
 * and {@link #verification()} holds the comparison.
 */
public final class VerificationFailedException extends OnnxTieException {
  private static final long serialVersionUID = 1L;

  private final transient Verification verification;

  VerificationFailedException(String message, Verification verification) {
    super(CHECK_FAILED, message);
    this.verification = verification;
  }

  /** The comparison that failed. */
  public Verification verification() {
    return verification;
  }
}
