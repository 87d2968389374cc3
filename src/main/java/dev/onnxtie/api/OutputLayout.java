package dev.onnxtie.api;

import dev.onnxtie.model.WriteOptions;

/**
 * How a written model is laid out on disk.
 *
 * @param kind one file, external data, or chosen by size
 * @param dataFile the external data file's name (beside the model), or null for {@code OUT.data}
 * @param sizeThreshold tensors of at least this many bytes go to the external data file
 * @param alignment the alignment of large tensors in the data file (a page, so that they can be
 *     mapped)
 */
public record OutputLayout(Kind kind, String dataFile, long sizeThreshold, int alignment) {

  /** Where the tensors go. */
  public enum Kind {
    /** External data when the model would not fit in one protobuf file, else one file. */
    AUTO,
    /** Everything in the model file. */
    SINGLE_FILE,
    /** Tensors of at least the threshold in an external data file. */
    EXTERNAL
  }

  /** The automatic layout, 1024-byte threshold, page alignment. */
  public static OutputLayout defaults() {
    return of(WriteOptions.defaults());
  }

  /** The same layout with another kind and data file name. */
  public OutputLayout withKind(Kind newKind, String newDataFile) {
    return new OutputLayout(newKind, newDataFile, sizeThreshold, alignment);
  }

  static OutputLayout of(WriteOptions options) {
    return new OutputLayout(
        Kind.valueOf(options.layout().name()),
        options.dataFile(),
        options.threshold(),
        options.alignment());
  }

  /** The writer's options. */
  WriteOptions toWriteOptions() {
    return new WriteOptions(
        WriteOptions.Layout.valueOf(kind.name()), dataFile, sizeThreshold, alignment);
  }
}
