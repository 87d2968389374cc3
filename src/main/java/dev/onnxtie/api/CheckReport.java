package dev.onnxtie.api;

import java.util.List;
import java.util.Map;

/**
 * What {@code check} found.
 *
 * @param passed true when no untied duplicate of at least the threshold remains (and, with {@code
 *     transposedTiesFail}, no weight tied through a Transpose)
 * @param minBytes the threshold
 * @param wastedBytes bytes on disk the suggested rewrite ({@code fix}) removes, measured after
 *     layout (alignment and padding included): {@code bytesBefore - bytesAfter}, 0 when there is no
 *     fix
 * @param withinFiles duplicates inside each file that the suggested rewrite removes, by file
 * @param acrossFiles tensors that several files each hold: copies stored once (shared external
 *     data), and, with a {@code --shared-data} fix, the identical copies it stores once
 * @param transposedTiesFail true when weights tied through a Transpose fail the check ({@code
 *     --transposed-ties})
 * @param transposedTies weights tied through a Transpose that ONNX Runtime materializes, by file
 *     (they fail the check only when {@code transposedTiesFail})
 * @param bytesBefore bytes of the model files and their data files now
 * @param bytesAfter bytes the suggested rewrite writes (equal to {@code bytesBefore} when there is
 *     no fix)
 * @param fix the command line that removes the waste, null when there is none
 * @param kept duplicates the rewrite leaves in place, each with its reason (never counted as waste)
 * @param noFix why no rewrite is suggested although duplicates exist (it would not make the files
 *     smaller), else null
 * @param refused the files of several that could not be read, each with its reason (not checked;
 *     the command exits 2 when any was refused, after reporting the others)
 */
public record CheckReport(
    boolean passed,
    long minBytes,
    long wastedBytes,
    Map<String, List<InspectReport.DuplicateGroup>> withinFiles,
    List<CrossFileGroup> acrossFiles,
    boolean transposedTiesFail,
    Map<String, List<InspectReport.TransposedTie>> transposedTies,
    long bytesBefore,
    long bytesAfter,
    String fix,
    List<KeptDuplicate> kept,
    String noFix,
    List<RefusedFile> refused) {

  /** The number of weights tied through a Transpose, over all files. */
  public int transposedTieCount() {
    return transposedTies.values().stream().mapToInt(List::size).sum();
  }
}
