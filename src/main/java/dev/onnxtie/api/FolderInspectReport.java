package dev.onnxtie.api;

import java.util.List;

/**
 * What {@code inspect} shows of one or more models: each model, and the tensors several of them hold.
 *
 * @param models one report per model, in the order given (a folder's in name order)
 * @param acrossFiles tensors held by more than one file
 * @param wastedAcrossFiles bytes of the copies not stored once
 */
public record FolderInspectReport(List<InspectReport> models, List<CrossFileGroup> acrossFiles, long wastedAcrossFiles) {}
