package dev.onnxtie.api;

import dev.onnxtie.tie.CrossFileFinder;
import java.util.List;

/**
 * What {@code inspect} shows of a folder: each model, and the tensors several of them hold.
 *
 * @param models one report per model, in name order
 * @param acrossFiles tensors held by more than one file
 * @param wastedAcrossFiles bytes of the copies not stored once
 */
public record FolderInspectReport(List<InspectReport> models, List<CrossFileFinder.Group> acrossFiles, long wastedAcrossFiles) {}
