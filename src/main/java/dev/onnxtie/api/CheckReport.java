package dev.onnxtie.api;

import java.util.List;
import java.util.Map;

/**
 * What {@code check} found.
 *
 * @param passed true when no untied duplicate of at least the threshold remains
 * @param minBytes the threshold
 * @param wastedBytes bytes held by untied duplicates, within and across files
 * @param withinFiles duplicate groups inside each file, by file
 * @param acrossFiles tensors that several files each hold (stored once when they share external data)
 */
public record CheckReport(boolean passed, long minBytes, long wastedBytes, Map<String, List<InspectReport.DuplicateGroup>> withinFiles,
    List<CrossFileGroup> acrossFiles) {}
