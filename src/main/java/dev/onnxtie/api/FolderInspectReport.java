package dev.onnxtie.api;

import java.util.List;

/**
 * What {@code inspect} shows of one or more models: each model, and the tensors several of them hold.
 *
 * @param models one report per model, in the order given (a folder's in name order)
 * @param acrossFiles tensors held by more than one file
 * @param wastedAcrossFiles bytes on disk that one shared data file ({@code rewrite --shared-data})
 *     saves beyond rewriting each file on its own, measured after layout (0 when it saves no more)
 * @param bytesBefore bytes of the models and their data files (null for one model)
 * @param bytesAfterEach bytes a rewrite of each file on its own writes (null for one model)
 * @param bytesAfterShared bytes a rewrite with one shared data file writes (null for one model)
 */
public record FolderInspectReport(List<InspectReport> models, List<CrossFileGroup> acrossFiles, long wastedAcrossFiles, Long bytesBefore,
    Long bytesAfterEach, Long bytesAfterShared) {}
