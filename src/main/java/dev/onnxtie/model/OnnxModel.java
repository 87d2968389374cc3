package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.file.Path;

/**
 * A read model: the parsed {@code ModelProto} (whose large byte fields alias the memory-mapped
 * file) and the resolver of its external data. Immutable; edits go through {@code
 * graph.GraphEditor}, which produces a new {@code OnnxModel} sharing the same external data.
 */
public final class OnnxModel implements AutoCloseable {
  private final ModelProto proto;
  private final ExternalData externalData;
  private final Path source;

  /**
   * Wraps a parsed model.
   *
   * @param proto the model
   * @param externalData resolver for external tensors (its folder may be null)
   * @param source the file it was read from, or null
   */
  public OnnxModel(ModelProto proto, ExternalData externalData, Path source) {
    this.proto = proto;
    this.externalData = externalData;
    this.source = source;
  }

  /** The protobuf message. */
  public ModelProto proto() {
    return proto;
  }

  /** The external-data resolver of the file this model came from. */
  public ExternalData externalData() {
    return externalData;
  }

  /** The file this model was read from, or null. */
  public Path source() {
    return source;
  }

  /** A model with another message but the same origin (external data, source). */
  public OnnxModel withProto(ModelProto other) {
    return new OnnxModel(other, externalData, source);
  }

  /** The model's IR version. */
  public long irVersion() {
    return proto.getIrVersion();
  }

  /**
   * The imported version of an operator set ({@code ""} or {@code ai.onnx} for the default), or -1.
   */
  public long opsetVersion(String domain) {
    for (OperatorSetIdProto opset : proto.getOpsetImportList()) {
      if (sameDomain(opset.getDomain(), domain)) {
        return opset.getVersion();
      }
    }
    return -1;
  }

  /** True when two domain names mean the same operator set ({@code ""} equals {@code ai.onnx}). */
  public static boolean sameDomain(String a, String b) {
    return normalizeDomain(a).equals(normalizeDomain(b));
  }

  private static String normalizeDomain(String domain) {
    return domain.equals("ai.onnx") ? "" : domain;
  }

  /**
   * The raw little-endian bytes of a fixed-size tensor, wherever they are stored: raw_data (an
   * alias of the mapped file), external data (mapped) or typed fields (encoded, small).
   *
   * @throws OnnxTieException (bad input) when the stored size disagrees with dims and dtype
   */
  public ByteString rawBytes(TensorProto tensor) {
    DataType type = Tensors.dataType(tensor);
    if (!type.isFixedSize()) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' of type " + type.onnxName() + " has no raw bytes");
    }
    if (Tensors.isExternal(tensor)) {
      return externalData.bytes(tensor);
    }
    return storedBytes(tensor);
  }

  /**
   * The raw little-endian bytes of a fixed-size tensor of any size, wherever they are stored, as a
   * view of the mapped file (external data of more than 2 GiB included); typed fields are encoded.
   *
   * @throws OnnxTieException (bad input) when the stored size disagrees with dims and dtype
   */
  public TensorBytes tensorBytes(TensorProto tensor) {
    DataType type = Tensors.dataType(tensor);
    if (!type.isFixedSize()) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' of type " + type.onnxName() + " has no raw bytes");
    }
    if (Tensors.isExternal(tensor)) {
      return externalData.tensorBytes(tensor);
    }
    return TensorBytes.of(storedBytes(tensor));
  }

  private ByteString storedBytes(TensorProto tensor) {
    long expected = Tensors.byteSize(tensor);
    if (tensor.hasRawData()) {
      ByteString raw = tensor.getRawData();
      if (raw.size() != expected) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + raw.size()
                + " bytes of raw_data but its dims and dtype need "
                + expected);
      }
      return raw;
    }
    return Tensors.typedToRaw(tensor);
  }

  /** Closes the external data files. */
  @Override
  public void close() {
    externalData.close();
  }
}
