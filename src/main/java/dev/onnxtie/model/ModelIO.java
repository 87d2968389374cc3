package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads and writes ONNX model files.
 *
 * <p>Reading memory-maps the file and lets protobuf-java alias every {@code bytes} field into the
 * mapping, so weights are never copied: peak memory stays near the size of the model's structure.
 * External data is resolved lazily and safely by {@link ExternalData}.
 *
 * <p>Writing always goes to a staging folder in the target folder ({@value #TEMP_PREFIX}...) whose
 * files is fsync'ed and renamed into place, data file first, model last: a failure leaves no output
 * behind and an input is never modified, even when the output path is the input path.
 *
 * <p>The entry point: reading is {@link ModelReader}'s job, writing {@link ModelWriter}'s, the
 * layout of tensors on disk {@link ModelLayouts}'; this class holds their settings.
 */
public final class ModelIO {
  /**
   * Prefix of the temporary files written next to an output; stale ones are removed by later
   * writes.
   */
  public static final String TEMP_PREFIX = ".onnx-tie-tmp-";

  /** One .onnx file must stay below this size (protobuf's 2 GiB limit, with a margin). */
  static final long SINGLE_FILE_LIMIT = 2_000_000_000L;

  /**
   * The limit in force: {@link #SINGLE_FILE_LIMIT}, lowered only by tests to exercise the switch.
   */
  static volatile long singleFileLimit = SINGLE_FILE_LIMIT;

  private ModelIO() {}

  /** How often a model replaced while it is read is read again before the read is refused. */
  static final int READ_ATTEMPTS = 3;

  /**
   * Test hook: milliseconds to wait between the parse of a model and the opening of its data files,
   * so that tests can replace the model in that window (a race that takes luck otherwise). Never
   * set outside tests.
   */
  static final String DELAY_PROPERTY = "onnxtie.test.delayAfterParseMs";

  /**
   * Test hook, set only by tests of this package: runs (with the model file) between the parse of a
   * model and the opening of its data files, where a writer that replaces the model makes a reader
   * see the new data under the old offsets unless the read is checked.
   */
  static volatile Consumer<Path> afterParseForTests;

  /**
   * What {@link #writeShared} wrote: the data file first, then the models.
   *
   * @param unchanged true when the folder already held these bytes under these names, so that
   *     nothing was renamed (an in-place rewrite of a folder a shared rewrite wrote)
   */
  public record SharedFiles(List<Path> files, boolean unchanged) {}

  /**
   * Reads and validates a model file.
   *
   * @throws OnnxTieException (bad input) for a missing, empty, oversized, malformed or hostile file
   */
  public static OnnxModel read(Path file) {
    return ModelReader.read(file);
  }

  /**
   * Reads and validates a model file; with {@code prefault}, its pages are mapped ahead of the
   * parse (a rewrite that writes every byte).
   */
  public static OnnxModel read(Path file, boolean prefault) {
    return ModelReader.read(file, prefault);
  }

  /** Reads and validates a model from a stream (e.g. standard input); external data is refused. */
  public static OnnxModel read(InputStream in, String label) {
    return ModelReader.read(in, label);
  }

  /**
   * Writes a model to {@code out} atomically, laying out tensors as {@code options} says.
   *
   * @return the files written (the model first, then its data file if any)
   */
  public static List<Path> write(OnnxModel model, Path out, WriteOptions options) {
    return ModelWriter.write(model, out, options);
  }

  /**
   * Stages a model in full beside {@code out}, to check before it is committed: see {@link
   * StagedWrite}.
   */
  public static StagedWrite stage(OnnxModel model, Path out, WriteOptions options) {
    return ModelWriter.stage(model, out, options);
  }

  /** Writes a single-file model to a stream (e.g. standard output). */
  public static void write(OnnxModel model, OutputStream out) {
    ModelWriter.write(model, out);
  }

  /**
   * Writes several models into one folder against one shared external data file in which every
   * distinct tensor is stored once; {@code beforeRename} sees the staged models first.
   */
  public static SharedFiles writeShared(
      List<OnnxModel> models,
      List<Path> outs,
      String dataName,
      WriteOptions options,
      Consumer<List<Path>> beforeRename) {
    return ModelWriter.writeShared(models, outs, dataName, options, beforeRename);
  }

  /** The bytes a model would take on disk written as {@code outName} with these options. */
  public static long measure(OnnxModel model, String outName, WriteOptions options) {
    return ModelLayouts.measure(model, outName, options);
  }

  /** The bytes models would take on disk written against one shared data file. */
  public static long measureShared(List<OnnxModel> models, String dataName, WriteOptions options) {
    return ModelLayouts.measureShared(models, dataName, options);
  }

  /** True when a tensor of the model (in any graph) is stored in an external data file. */
  public static boolean hasExternalTensors(ModelProto model) {
    return ModelLayouts.hasExternalTensors(model);
  }

  /** The message of an I/O error, naming address space where a mapping failed for want of it. */
  static String describe(IOException e) {
    return ModelReader.describe(e);
  }

  /** Writes a message to a file and forces it to disk. */
  static void writeMessage(ModelProto message, Path file) throws IOException {
    ModelWriter.writeMessage(message, file);
  }

  /** The model with its external data locations {@code from} renamed {@code to}. */
  static ModelProto relocate(ModelProto model, String from, String to) {
    return ModelWriter.relocate(model, from, to);
  }
}
