package dev.onnxtie.model;

import com.google.protobuf.ByteString;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Element counts, byte sizes and byte views of {@code TensorProto}s in every dtype. Sizes are
 * computed with overflow checks before anything is allocated from them.
 */
public final class Tensors {
  private Tensors() {}

  /**
   * The dims of a tensor, refused when negative.
   *
   * @throws OnnxTieException (bad input) naming the tensor for a negative dim
   */
  public static long[] dims(TensorProto tensor) {
    long[] dims = new long[tensor.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = tensor.getDims(i);
      if (dims[i] < 0) {
        throw OnnxTieException.badInput(
            "tensor '" + tensor.getName() + "' has negative dim " + dims[i] + " at axis " + i);
      }
    }
    return dims;
  }

  /**
   * The number of elements of a tensor of these dims.
   *
   * @throws OnnxTieException (bad input) when the product overflows 64 bits
   */
  public static long elementCount(String name, long[] dims) {
    long count = 1;
    for (long dim : dims) {
      if (dim < 0) {
        throw OnnxTieException.badInput("tensor '" + name + "' has negative dim " + dim);
      }
      try {
        count = Math.multiplyExact(count, dim);
      } catch (ArithmeticException e) {
        throw OnnxTieException.badInput(
            "tensor '" + name + "' has dims whose product overflows 64 bits");
      }
    }
    return count;
  }

  /** True when a tensor's data_type is one this tool knows (not UNDEFINED). */
  public static boolean hasKnownType(TensorProto tensor) {
    return tensor.getDataType() > 0 && DataType.isKnown(tensor.getDataType());
  }

  /** The dtype of a tensor; bad input for an unknown or UNDEFINED data_type. */
  public static DataType dataType(TensorProto tensor) {
    int code = tensor.getDataType();
    if (!DataType.isKnown(code) || code == 0) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' has unknown data_type " + code);
    }
    return DataType.fromCode(code);
  }

  /** The number of raw bytes a fixed-size tensor takes; bad input on overflow. */
  public static long byteSize(TensorProto tensor) {
    DataType type = dataType(tensor);
    long count = elementCount(tensor.getName(), dims(tensor));
    try {
      return type.byteSize(count);
    } catch (ArithmeticException e) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' claims a size that overflows 64 bits");
    }
  }

  /** True when the tensor's bytes live in an external file. */
  public static boolean isExternal(TensorProto tensor) {
    return tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  /** True when the tensor keeps its bytes in raw_data (present, possibly empty). */
  public static boolean hasRawData(TensorProto tensor) {
    return tensor.hasRawData();
  }

  /** Number of values stored in the typed field that holds {@code type}. */
  static long typedValueCount(TensorProto tensor, DataType type) {
    return switch (type.field()) {
      case FLOAT -> tensor.getFloatDataCount();
      case INT32 -> tensor.getInt32DataCount();
      case INT64 -> tensor.getInt64DataCount();
      case DOUBLE -> tensor.getDoubleDataCount();
      case UINT64 -> tensor.getUint64DataCount();
      case STRING -> tensor.getStringDataCount();
      case NONE -> 0;
    };
  }

  /** The number of typed-field values a tensor of {@code elements} elements must have. */
  static long expectedTypedValues(DataType type, long elements) {
    if (type == DataType.COMPLEX64 || type == DataType.COMPLEX128) {
      return Math.multiplyExact(elements, 2L);
    }
    if (type.isPacked()) {
      return type.byteSize(elements);
    }
    return elements;
  }

  /**
   * Encodes a tensor held in typed fields as little-endian raw bytes, exactly as it would appear in
   * raw_data. Typed fields are only used for small tensors by exporters; the copy is bounded by the
   * values actually present in the message.
   *
   * @throws OnnxTieException (bad input) when the number of values disagrees with the dims
   */
  public static ByteString typedToRaw(TensorProto tensor) {
    DataType type = dataType(tensor);
    if (!type.isFixedSize()) {
      throw new IllegalArgumentException("no raw form for " + type);
    }
    long elements = elementCount(tensor.getName(), dims(tensor));
    long expected = expectedTypedValues(type, elements);
    long present = typedValueCount(tensor, type);
    if (present != expected) {
      throw OnnxTieException.badInput(
          "tensor '"
              + tensor.getName()
              + "' has "
              + present
              + " values in its typed field but its dims "
              + "and dtype need "
              + expected);
    }
    long size = type.byteSize(elements);
    if (size > Integer.MAX_VALUE) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' is too large for typed fields");
    }
    ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    switch (type.field()) {
      case FLOAT -> tensor.getFloatDataList().forEach(out::putFloat);
      case DOUBLE -> tensor.getDoubleDataList().forEach(out::putDouble);
      case INT64 -> tensor.getInt64DataList().forEach(out::putLong);
      case UINT64 -> {
        List<Long> values = tensor.getUint64DataList();
        for (long v : values) {
          if (type == DataType.UINT32) {
            out.putInt((int) v);
          } else {
            out.putLong(v);
          }
        }
      }
      case INT32 -> {
        long low =
            type.isPacked()
                    || type == DataType.BOOL
                    || type.bits() > 8 && isUnsignedOrFloat(type)
                    || type == DataType.UINT8
                ? 0
                : type.bits() >= 32 ? Integer.MIN_VALUE : -(1L << (type.bits() - 1));
        long high =
            type == DataType.BOOL
                ? 1
                : type.isPacked()
                    ? 0xFF
                    : type.bits() >= 32 ? Integer.MAX_VALUE : (1L << type.bits()) - 1;
        for (int v : tensor.getInt32DataList()) {
          if (v < low || v > high) {
            throw OnnxTieException.badInput(
                "tensor '"
                    + tensor.getName()
                    + "' of type "
                    + type.onnxName()
                    + " holds "
                    + v
                    + " in int32_data, outside "
                    + low
                    + ".."
                    + high);
          }
        }
        for (int v : tensor.getInt32DataList()) {
          switch (type.bits()) {
            case 32 -> out.putInt(v);
            case 16 -> out.putShort((short) v);
            case 8, 4, 2 -> out.put((byte) v);
            default -> throw new IllegalStateException("bits " + type.bits());
          }
        }
      }
      default -> throw new IllegalStateException("field " + type.field());
    }
    out.flip();
    return ByteString.copyFrom(out);
  }

  /** Types whose int32_data values are unsigned bit patterns (16-bit floats, uint16). */
  private static boolean isUnsignedOrFloat(DataType type) {
    return type == DataType.UINT16 || type == DataType.FLOAT16 || type == DataType.BFLOAT16;
  }

  /** A read-only little-endian view of the bytes, without copying them. */
  public static ByteBuffer view(ByteString bytes) {
    return bytes.asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Shape as text, e.g. {@code [50257, 768]}. */
  public static String shapeText(long[] dims) {
    StringBuilder text = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        text.append(", ");
      }
      text.append(dims[i]);
    }
    return text.append(']').toString();
  }
}
