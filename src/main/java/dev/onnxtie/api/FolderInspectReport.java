package dev.onnxtie.api;

import java.util.List;

/**
 * What {@code inspect} shows of one or more models: each model, and the tensors several of them hold.
 *
 * @param models one report per model, in the order given (a folder's in name order)
 * @param acrossFiles tensors held by more than one file
 * @param wastedAcrossFiles bytes of the copies not stored once
 * @param refused the files of several that could not be read, each with its reason (the command
 *     exits 2 when any was refused, after reporting the others)
 */
public record FolderInspectReport(List<InspectReport> models, List<CrossFileGroup> acrossFiles, long wastedAcrossFiles,
    List<RefusedFile> refused) {
  /** A report in which no file was refused. */
  public FolderInspectReport(List<InspectReport> models, List<CrossFileGroup> acrossFiles, long wastedAcrossFiles) {
    this(models, acrossFiles, wastedAcrossFiles, List.of());
  }
}
