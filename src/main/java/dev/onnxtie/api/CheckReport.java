package dev.onnxtie.api;

import java.util.List;
import java.util.Map;

/**
 * What {@code check} found.
 *
 * @param passed true when no untied duplicate of at least the threshold remains (and, with {@code
 *     transposedTiesFail}, no weight tied through a Transpose)
 * @param minBytes the threshold
 * @param wastedBytes bytes held by untied duplicates, within and across files
 * @param withinFiles duplicate groups inside each file, by file
 * @param acrossFiles tensors that several files each hold (stored once when they share external data)
 * @param transposedTiesFail true when weights tied through a Transpose fail the check ({@code
 *     --transposed-ties})
 * @param transposedTies weights tied through a Transpose that ONNX Runtime materializes, by file
 *     (they fail the check only when {@code transposedTiesFail})
 * @param refused the files of several that could not be read, each with its reason (not checked;
 *     the command exits 2 when any was refused, after reporting the others)
 */
public record CheckReport(boolean passed, long minBytes, long wastedBytes, Map<String, List<InspectReport.DuplicateGroup>> withinFiles,
    List<CrossFileGroup> acrossFiles, boolean transposedTiesFail, Map<String, List<InspectReport.TransposedTie>> transposedTies,
    List<RefusedFile> refused) {

  /** A report in which no file was refused. */
  public CheckReport(boolean passed, long minBytes, long wastedBytes, Map<String, List<InspectReport.DuplicateGroup>> withinFiles,
      List<CrossFileGroup> acrossFiles, boolean transposedTiesFail, Map<String, List<InspectReport.TransposedTie>> transposedTies) {
    this(passed, minBytes, wastedBytes, withinFiles, acrossFiles, transposedTiesFail, transposedTies, List.of());
  }

  /** The number of weights tied through a Transpose, over all files. */
  public int transposedTieCount() {
    return transposedTies.values().stream().mapToInt(List::size).sum();
  }
}
