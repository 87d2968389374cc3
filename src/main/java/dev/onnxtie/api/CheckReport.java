package dev.onnxtie.api;

import dev.onnxtie.tie.CrossFileFinder;
import java.util.List;
import java.util.Map;

/**
 * What {@code check} found.
 *
 * @param passed true when no untied duplicate of at least the threshold remains
 * @param wastedBytes bytes held by untied duplicates, within and across files
 * @param withinFiles duplicate groups inside each file, by file
 * @param acrossFiles tensors that several files each hold (stored once when they share external data)
 * @param transposedTies weights tied through a Transpose that ONNX Runtime materializes, by file
 *     (they fail the check only when it was asked to gate on them)
 */
public record CheckReport(boolean passed, long wastedBytes, Map<String, List<InspectReport.DuplicateGroup>> withinFiles,
    List<CrossFileFinder.Group> acrossFiles, Map<String, List<InspectReport.TransposedTie>> transposedTies) {}
