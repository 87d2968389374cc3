package dev.onnxtie.api;

import java.nio.file.Path;
import java.util.List;

/**
 * What a rewrite of one file did.
 *
 * @param input the model read
 * @param output the model written (null for a dry run)
 * @param dryRun true when nothing was written
 * @param result what the tie pass did (or would do)
 * @param bytesBefore total bytes of the input (model file plus its external data files)
 * @param bytesAfter total bytes written; null for a dry run or a model written to a stream
 * @param written files written
 * @param dataFile the file name of the external data file written with the model, null when the
 *     model holds its data or nothing was written
 * @param verification the verification when one was asked for, else null
 */
public record RewriteReport(
    String input,
    String output,
    boolean dryRun,
    TieResult result,
    long bytesBefore,
    Long bytesAfter,
    List<String> written,
    String dataFile,
    Verification verification) {

  /**
   * The file name of the data file among {@code written} (the model first, its data second), or
   * null.
   */
  static String dataFileOf(List<String> written) {
    return written.size() > 1 ? Path.of(written.get(1)).getFileName().toString() : null;
  }
}
