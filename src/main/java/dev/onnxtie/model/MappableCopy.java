package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A scratch copy of a single-file model whose large initializers lie in a page-aligned external
 * data file, for ONNX Runtime to load.
 *
 * <p>Why: ONNX Runtime loading a single-file model holds its weights twice at the peak (the parsed
 * protobuf's raw_data and the session's tensors). Loading external data that lies at page-aligned
 * offsets, it maps the file instead (measured with ONNX Runtime 1.24 on a 294.5 MiB GPT-2: session
 * RSS 277.7 MiB embedded, 4.8 MiB external with prepacking off), so each page is resident once, and
 * only the pages a run reads.
 *
 * <p>The copy is made by the kernel ({@link FileChannel#transferTo}) from the byte ranges of the
 * source file that hold each top-level initializer's raw_data: the source's pages are never mapped
 * into this process, so they are not counted in its resident set either. The ranges come from a
 * scan of the file with protobuf's own wire reader, checked against the parsed model (count,
 * length, first and last 64 bytes of every initializer); any disagreement, a model that already has
 * external data, too few bytes to matter, or a failure to write the copy (no room in the temporary
 * folder) gives no copy, and the caller loads the model as it is.
 *
 * <p>The copy lies in a {@link Staging} folder of the temporary folder, as a write's staged files
 * do: held by an owner lock, deleted on {@link #close}, at exit, or by a later staging folder once
 * its process is gone.
 */
public final class MappableCopy implements AutoCloseable {
  /** Initializers with fewer raw_data bytes stay inside the copied model. */
  static final int EXTERNAL_MIN_BYTES = 4096;

  private static final int ALIGNMENT = 4096;
  private static final String DATA_NAME = "weights.data";

  private final Staging folder;
  private final Path model;
  private final long bytes;

  private MappableCopy(Staging folder, Path model, long bytes) {
    this.folder = folder;
    this.model = model;
    this.bytes = bytes;
  }

  /** The bytes of initializers that lie in the copy's data file. */
  public long bytes() {
    return bytes;
  }

  /** The copied model file (its data file lies beside it). */
  public Path model() {
    return model;
  }

  /**
   * Makes the copy when the model was read from a single file and at least {@code minBytes} of its
   * top-level initializers' bytes are embedded; null otherwise (also when the copy cannot be made).
   * The model must be as {@link ModelIO#read(Path)} returned it, not edited: the copy takes the
   * bytes from the file, the message only tells where they are.
   */
  public static MappableCopy of(OnnxModel model, long minBytes) {
    Path source = model.source();
    ModelProto proto = model.proto();
    if (source == null || !proto.hasGraph() || ModelIO.hasExternalTensors(proto)) {
      return null;
    }
    GraphProto graph = proto.getGraph();
    long embedded = 0;
    for (TensorProto tensor : graph.getInitializerList()) {
      embedded += tensor.getRawData().size();
    }
    if (embedded < minBytes) {
      return null;
    }
    Staging folder = null;
    boolean made = false;
    try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ)) {
      long[] offsets = rawDataOffsets(channel, graph);
      if (offsets == null) {
        return null;
      }
      Path tempRoot = Path.of(System.getProperty("java.io.tmpdir"));
      if (Files.getFileStore(tempRoot).getUsableSpace() < embedded + (64L << 20)) {
        return null;
      }
      // a staging folder: held by an owner lock, removed on close and at exit, and by the next one
      // when this process is killed (Staging removes those whose lock is free)
      folder = new Staging(tempRoot);
      Path copy =
          folder.resolve(
              source.getFileName().toString().equals(DATA_NAME)
                  ? "model.onnx"
                  : source.getFileName().toString());
      GraphProto.Builder builder = graph.toBuilder();
      long moved = 0;
      try (FileChannel data =
          FileChannel.open(
              folder.resolve(DATA_NAME), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        long end = 0;
        for (int i = 0; i < graph.getInitializerCount(); i++) {
          TensorProto tensor = graph.getInitializer(i);
          int length = tensor.getRawData().size();
          if (length < EXTERNAL_MIN_BYTES) {
            continue;
          }
          long start = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
          TensorBytes.transfer(channel, offsets[i], length, data, start);
          end = start + length;
          moved += length;
          builder.setInitializer(
              i,
              tensor.toBuilder()
                  .clearRawData()
                  .clearExternalData()
                  .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                  .addExternalData(entry("location", DATA_NAME))
                  .addExternalData(entry("offset", Long.toString(start)))
                  .addExternalData(entry("length", Integer.toString(length))));
        }
      }
      try (OutputStream out =
          new BufferedOutputStream(
              Files.newOutputStream(copy, StandardOpenOption.CREATE_NEW), 1 << 16)) {
        proto.toBuilder().setGraph(builder).build().writeTo(out);
      }
      made = true;
      return new MappableCopy(folder, copy, moved);
    } catch (IOException | InternalError e) {
      // InternalError: the model file shrank under the scan's mapping; ONNX Runtime reports what is
      // left of it
      return null;
    } finally {
      if (!made && folder != null) {
        folder.close(); // whatever failed, no half-made copy stays behind
      }
    }
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /**
   * The file offset of every top-level initializer's raw_data, in the order of the parsed graph's
   * initializers (-1 where it has none), or null when the scan disagrees with the parsed model, the
   * model has two graph fields, or the file cannot be read as protobuf.
   */
  static long[] rawDataOffsets(FileChannel channel, GraphProto parsed) {
    try {
      return scan(channel, parsed);
    } catch (IOException e) {
      return null;
    }
  }

  private static long[] scan(FileChannel channel, GraphProto parsed) throws IOException {
    long fileSize = channel.size();
    if (fileSize > Integer.MAX_VALUE) {
      return null; // it grew past what a single-file model can be since it was read
    }
    ByteBuffer file = channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize);
    // protobuf's own reader, so that tags, lengths and skipped fields are read exactly as the
    // parser
    // read them; only the fields followed here are told apart by number and wire type
    CodedInputStream input = CodedInputStream.newInstance(file);
    boolean graphSeen = false;
    List<Long> offsets = new ArrayList<>();
    List<Integer> lengths = new ArrayList<>();
    for (int tag = input.readTag(); tag != 0; tag = input.readTag()) {
      if (tag != MODEL_GRAPH) {
        input.skipField(tag);
        continue;
      }
      if (graphSeen) {
        return null; // a second graph field merges into the first: not worth following
      }
      graphSeen = true;
      int graphLimit = input.pushLimit(input.readRawVarint32());
      for (int graphTag = input.readTag(); graphTag != 0; graphTag = input.readTag()) {
        if (graphTag != GRAPH_INITIALIZER) {
          input.skipField(graphTag);
          continue;
        }
        int tensorLimit = input.pushLimit(input.readRawVarint32());
        long offset = -1;
        int size = 0;
        for (int tensorTag = input.readTag(); tensorTag != 0; tensorTag = input.readTag()) {
          if (tensorTag == TENSOR_RAW_DATA) { // the last one wins
            size = input.readRawVarint32();
            offset = input.getTotalBytesRead();
            input.skipRawBytes(size);
          } else {
            input.skipField(tensorTag);
          }
        }
        input.popLimit(tensorLimit);
        offsets.add(offset);
        lengths.add(size);
      }
      input.popLimit(graphLimit);
    }
    if (offsets.size() != parsed.getInitializerCount()) {
      return null;
    }
    long[] result = new long[offsets.size()];
    for (int i = 0; i < result.length; i++) {
      ByteString parsedBytes = parsed.getInitializer(i).getRawData();
      int length = lengths.get(i);
      if (length != parsedBytes.size() || !sameEnds(file, offsets.get(i), parsedBytes)) {
        return null;
      }
      result[i] = offsets.get(i);
    }
    return result;
  }

  /** The tags the scan follows: ModelProto.graph, GraphProto.initializer, TensorProto.raw_data. */
  private static final int MODEL_GRAPH = 7 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private static final int GRAPH_INITIALIZER = 5 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int TENSOR_RAW_DATA = 9 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /** Bytes compared at each end of an initializer's raw_data by {@link #sameEnds}. */
  private static final int ENDS = 64;

  /**
   * True when the first and last {@value #ENDS} bytes at {@code offset} of the file are those the
   * parser holds: a second check that the scan found the field the parser kept (both read the same
   * few pages, so it costs no memory).
   */
  private static boolean sameEnds(ByteBuffer file, long offset, ByteString parsed) {
    int size = parsed.size();
    if (offset < 0) {
      return size == 0;
    }
    int head = Math.min(ENDS, size);
    for (int k = 0; k < head; k++) {
      if (file.get((int) offset + k) != parsed.byteAt(k)) {
        return false;
      }
    }
    for (int k = Math.max(head, size - ENDS); k < size; k++) {
      if (file.get((int) offset + k) != parsed.byteAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Deletes the copy: once ONNX Runtime has created its session, it needs the files no longer. */
  @Override
  public void close() {
    folder.close();
  }
}
