package dev.onnxtie.graph;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.TensorBytes;
import dev.onnxtie.model.Tensors;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

/**
 * A constant tensor a graph holds: an initializer or the value of a {@code Constant} node. Its
 * bytes are a read-only little-endian view of the mapped file (or of typed fields encoded on
 * demand), of any size ({@link TensorBytes}).
 */
public final class TensorSource {
  private final String name;
  private final Scope scope;
  private final DataType type;
  private final long[] dims;
  private final long byteSize;
  private final Supplier<TensorBytes> bytes;
  private final Supplier<String> storage;
  private final Supplier<List<ByteBuffer>> strings;

  TensorSource(
      String name,
      Scope scope,
      DataType type,
      long[] dims,
      long byteSize,
      Supplier<TensorBytes> bytes,
      Supplier<String> storage) {
    this(name, scope, type, dims, byteSize, bytes, storage, null);
  }

  TensorSource(
      String name,
      Scope scope,
      DataType type,
      long[] dims,
      long byteSize,
      Supplier<TensorBytes> bytes,
      Supplier<String> storage,
      Supplier<List<ByteBuffer>> strings) {
    this.name = name;
    this.scope = scope;
    this.type = type;
    this.dims = dims;
    this.byteSize = byteSize;
    this.bytes = bytes;
    this.storage = storage;
    this.strings = strings;
  }

  /**
   * The elements of a {@code string} tensor, each a read-only view of its bytes (no copy), in
   * row-major order; compared element by element, so {@code ["a", "bc"]} is not {@code ["ab",
   * "c"]}.
   *
   * @throws IllegalStateException for a tensor of another dtype
   */
  public List<ByteBuffer> strings() {
    if (strings == null) {
      throw new IllegalStateException(name + " is no string tensor");
    }
    return strings.get();
  }

  /**
   * Where the bytes are stored, for external tensors: the data file's real path, offset and length;
   * null for tensors stored in the model file. Two tensors with the same storage share their bytes.
   */
  public String storage() {
    return storage.get();
  }

  /** The tensor's name. */
  public String name() {
    return name;
  }

  /** The scope (graph) that defines it. */
  public Scope scope() {
    return scope;
  }

  /** The element type. */
  public DataType type() {
    return type;
  }

  /** The dims (a copy). */
  public long[] dims() {
    return dims.clone();
  }

  /** The rank. */
  public int rank() {
    return dims.length;
  }

  /** Bytes of raw data (for a string tensor: the bytes of its strings). */
  public long byteSize() {
    return byteSize;
  }

  /**
   * The bytes, of any size: a read-only little-endian view of the mapped file (or of typed fields
   * encoded on demand), in chunks; the same mapping on every call.
   *
   * @throws IllegalStateException for a string tensor (see {@link #strings()})
   */
  public TensorBytes bytes() {
    if (bytes == null) {
      throw new IllegalStateException(name + " is a string tensor: read its strings()");
    }
    return bytes.get();
  }

  @Override
  public String toString() {
    return name + " " + type.onnxName() + Tensors.shapeText(dims);
  }
}
