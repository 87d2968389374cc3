package dev.onnxtie.verify;

import dev.onnxtie.api.Verification;
import java.util.Locale;

/**
 * How one output compared: the verdicts a {@link Verification.Output#status()} holds, by their
 * labels. The comparison reasons in these; the report holds the labels.
 */
enum Status {
  /** Every element within tolerance, NaN and Inf at the same places. */
  MATCH,
  /** Same dtype and shape, but some element out of tolerance or a NaN/Inf apart. */
  MISMATCH,
  /** One side has no such output. */
  MISSING,
  /** The shapes (or sequence lengths) differ. */
  SHAPE_MISMATCH,
  /** The dtypes (or kinds of value) differ. */
  DTYPE_MISMATCH,
  /** A kind of value this package cannot compare, such as a sparse tensor. */
  UNSUPPORTED,
  /** Model B failed to run on the inputs. */
  ERROR;

  /** The lower-case, hyphenated label used in JSON and text: {@code shape-mismatch}. */
  String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The status of an output in a report. */
  static Status of(Verification.Output output) {
    return valueOf(output.status().toUpperCase(Locale.ROOT).replace('-', '_'));
  }
}
