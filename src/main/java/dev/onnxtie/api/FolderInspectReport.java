package dev.onnxtie.api;

import java.util.List;

/**
 * What {@code inspect} shows of one or more models: each model, and the tensors several of them
 * hold.
 *
 * @param models one report per model, in the order given (a folder's in name order)
 * @param acrossFiles tensors held by more than one file
 * @param wastedAcrossFiles bytes on disk that one shared data file ({@code rewrite --shared-data})
 *     saves beyond rewriting each file on its own, measured after layout (0 when it saves no more)
 * @param bytesBefore bytes of the models and their data files (null for one model)
 * @param bytesAfterEach bytes a rewrite of each file on its own writes (null for one model)
 * @param bytesAfterShared bytes a rewrite with one shared data file writes (null for one model)
 * @param refused the files of several that could not be read, each with its reason (the command
 *     exits 2 when any was refused, after reporting the others)
 */
public record FolderInspectReport(
    List<InspectReport> models,
    List<CrossFileGroup> acrossFiles,
    long wastedAcrossFiles,
    Long bytesBefore,
    Long bytesAfterEach,
    Long bytesAfterShared,
    List<RefusedFile> refused) {

  /** A report in which no file was refused. */
  public FolderInspectReport(
      List<InspectReport> models,
      List<CrossFileGroup> acrossFiles,
      long wastedAcrossFiles,
      Long bytesBefore,
      Long bytesAfterEach,
      Long bytesAfterShared) {
    this(
        models,
        acrossFiles,
        wastedAcrossFiles,
        bytesBefore,
        bytesAfterEach,
        bytesAfterShared,
        List.of());
  }
}
