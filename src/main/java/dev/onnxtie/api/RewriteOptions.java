package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.WriteOptions;
import dev.onnxtie.tie.TieFinder;
import dev.onnxtie.verify.VerifyOptions;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

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
public record RewriteOptions(
    TieForm form, long minBytes, boolean dryRun, OutputLayout write, VerifySettings verify) {
  /** Transpose form, 64-byte threshold, automatic layout, no verification. */
  public static RewriteOptions defaults() {
    return new RewriteOptions(
        TieForm.TRANSPOSE, TieFinder.DEFAULT_MIN_BYTES, false, OutputLayout.defaults(), null);
  }

  /** The valid names of {@link #withForm(String)}. */
  public static final List<String> FORMS =
      Arrays.stream(TieForm.values()).map(f -> f.name().toLowerCase(Locale.ROOT)).toList();

  /** Validates the threshold. */
  public RewriteOptions {
    if (minBytes < 0) {
      throw OnnxTieException.badInput("--min-bytes must be >= 0, not " + minBytes);
    }
  }

  /** The same options with the form of this name ({@code transpose} or {@code gemm}). */
  public RewriteOptions withForm(String name) {
    try {
      return withForm(TieForm.valueOf(name.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw OnnxTieException.badInput(
          "unknown --form '" + name + "'; valid: " + String.join(", ", FORMS));
    }
  }

  /**
   * The same options with the output's tensors of at least {@code sizeThreshold} bytes in an
   * external data file ({@code file} null: the default name), or everything in one file ({@code
   * singleFile}), or the automatic layout (neither).
   */
  public RewriteOptions withLayout(
      String externalDataFile, boolean external, boolean singleFile, long sizeThreshold) {
    if (external && singleFile) {
      throw OnnxTieException.badInput("--external-data and --single-file exclude each other");
    }
    if (sizeThreshold < 0) {
      throw OnnxTieException.badInput("--size-threshold must be >= 0, not " + sizeThreshold);
    }
    OutputLayout base =
        new OutputLayout(write.kind(), write.dataFile(), sizeThreshold, write.alignment());
    if (external) {
      return withWrite(base.withKind(OutputLayout.Kind.EXTERNAL, externalDataFile));
    }
    return withWrite(singleFile ? base.withKind(OutputLayout.Kind.SINGLE_FILE, null) : base);
  }

  /** The same options with another form. */
  public RewriteOptions withForm(TieForm newForm) {
    return new RewriteOptions(newForm, minBytes, dryRun, write, verify);
  }

  /** The same options with verification (null turns it off). */
  public RewriteOptions withVerify(VerifySettings newVerify) {
    return new RewriteOptions(form, minBytes, dryRun, write, newVerify);
  }

  /** The same options with another output layout. */
  public RewriteOptions withWrite(OutputLayout newWrite) {
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

  /** The writer's options of {@link #write()}. */
  WriteOptions writeOptions() {
    return write.toWriteOptions();
  }

  /** The verifier's options of {@link #verify()}, or null. */
  VerifyOptions verifyOptions() {
    return verify == null ? null : verify.toOptions();
  }
}
