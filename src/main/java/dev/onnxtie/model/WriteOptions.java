package dev.onnxtie.model;

/**
 * How {@link ModelIO#write} lays out a model.
 *
 * @param layout where tensors go
 * @param dataFile the external data file name (a plain file name in the output folder), or null for
 *     {@code <output file name>.data}
 * @param threshold tensors of at least this many bytes go to the external file
 * @param alignment offsets of tensors of at least {@link #PAGE_ALIGN_MIN_BYTES} are aligned to this
 *     (a page, so they can be memory-mapped); smaller ones to 64 bytes
 */
public record WriteOptions(Layout layout, String dataFile, long threshold, int alignment) {
  /** Tensors at least this large are page-aligned in external data files. */
  public static final long PAGE_ALIGN_MIN_BYTES = 64 * 1024;

  /** Where tensor bytes are written. */
  public enum Layout {
    /**
     * External when the input had external data or one file would pass 2 GiB; one file otherwise.
     */
    AUTO,
    /** Everything in the .onnx file. */
    SINGLE_FILE,
    /** Tensors above the threshold in one external data file. */
    EXTERNAL
  }

  /** Defaults: automatic layout, 1 KiB threshold, 4 KiB alignment. */
  public static WriteOptions defaults() {
    return new WriteOptions(Layout.AUTO, null, 1024, 4096);
  }

  /** Same options with another layout and data file name. */
  public WriteOptions withLayout(Layout newLayout, String newDataFile) {
    return new WriteOptions(newLayout, newDataFile, threshold, alignment);
  }
}
