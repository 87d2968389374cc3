package dev.onnxtie.api;

import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.pass.TieForm;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.verify.VerifyOptions;

/**
 * Options of a rewrite.
 *
 * @param form how transposed duplicates are read afterwards
 * @param minBytes tensors smaller than this are left alone
 * @param dryRun find and report, write nothing
 * @param write how the output is laid out
 * @param verify when not null, the output is verified against the input in ONNX Runtime before it
 *     is renamed into place; a mismatch writes nothing
 */
public record RewriteOptions(TieForm form, long minBytes, boolean dryRun, WriteOptions write, VerifyOptions verify) {
  /** Transpose form, 64-byte threshold, automatic layout, no verification. */
  public static RewriteOptions defaults() {
    return new RewriteOptions(TieForm.TRANSPOSE, TieFinder.DEFAULT_MIN_BYTES, false, WriteOptions.defaults(), null);
  }

  /** The same options with another form. */
  public RewriteOptions withForm(TieForm newForm) {
    return new RewriteOptions(newForm, minBytes, dryRun, write, verify);
  }

  /** The same options with verification (null turns it off). */
  public RewriteOptions withVerify(VerifyOptions newVerify) {
    return new RewriteOptions(form, minBytes, dryRun, write, newVerify);
  }

  /** The same options with another output layout. */
  public RewriteOptions withWrite(WriteOptions newWrite) {
    return new RewriteOptions(form, minBytes, dryRun, newWrite, verify);
  }

  /** The same options with another threshold. */
  public RewriteOptions withMinBytes(long newMinBytes) {
    return new RewriteOptions(form, newMinBytes, dryRun, write, verify);
  }

  /** The same options, dry run or not. */
  public RewriteOptions withDryRun(boolean newDryRun) {
    return new RewriteOptions(form, minBytes, newDryRun, write, verify);
  }
}
