package dev.onnxtie.verify;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense tensor in Java memory: its dtype, shape and little-endian raw bytes (the layout of ONNX
 * {@code raw_data} and of ONNX Runtime's buffers on the little-endian machines it runs on), or its
 * strings for {@link DataType#STRING}.
 */
final class HostTensor implements Value {
  private final DataType type;
  private final long[] shape;
  private final ByteBuffer bytes;
  private final String[] strings;

  private HostTensor(DataType type, long[] shape, ByteBuffer bytes, String[] strings) {
    this.type = type;
    this.shape = shape.clone();
    this.bytes = bytes;
    this.strings = strings;
  }

  /**
   * A fixed-size tensor over {@code bytes} (from its position to its limit, not copied).
   *
   * @throws IllegalArgumentException when the byte count does not fit the shape and dtype
   */
  static HostTensor of(DataType type, long[] shape, ByteBuffer bytes) {
    if (!type.isFixedSize()) {
      throw new IllegalArgumentException("no raw bytes for " + type);
    }
    ByteBuffer view = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
    long expected = type.byteSize(Tensors.elementCount("tensor", shape));
    if (view.remaining() != expected) {
      throw new IllegalArgumentException(
          view.remaining()
              + " bytes for "
              + type.onnxName()
              + Tensors.shapeText(shape)
              + ", which needs "
              + expected);
    }
    return new HostTensor(type, shape, view, null);
  }

  /** A string tensor. */
  static HostTensor ofStrings(long[] shape, String[] strings) {
    if (strings.length != Tensors.elementCount("tensor", shape)) {
      throw new IllegalArgumentException(
          strings.length + " strings for shape " + Tensors.shapeText(shape));
    }
    return new HostTensor(DataType.STRING, shape, null, strings.clone());
  }

  /** The element type. */
  DataType type() {
    return type;
  }

  /** The shape (a copy). */
  long[] shape() {
    return shape.clone();
  }

  /** The number of elements. */
  long elements() {
    return Tensors.elementCount("tensor", shape);
  }

  /** A fresh little-endian view of the raw bytes at position 0; null for strings. */
  ByteBuffer bytes() {
    return bytes == null ? null : bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The strings of a string tensor (a copy); null otherwise. */
  String[] strings() {
    return strings == null ? null : strings.clone();
  }

  /** The dtype's name and the shape, e.g. {@code float[2, 8]}. */
  @Override
  public String describe() {
    return type.onnxName() + Tensors.shapeText(shape);
  }

  /** True when the dtype is one of the integer types (bool excluded). */
  boolean isInteger() {
    return switch (type) {
      case INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64 -> true;
      default -> false;
    };
  }

  /** True when {@link #scalar} can decode this dtype to a number. */
  boolean isNumeric() {
    return switch (type) {
      case FLOAT, DOUBLE, FLOAT16, BFLOAT16, COMPLEX64, COMPLEX128, BOOL -> true;
      default -> isInteger();
    };
  }

  /** Scalars per element: 2 for the complex types, 1 otherwise. */
  int scalarsPerElement() {
    return type == DataType.COMPLEX64 || type == DataType.COMPLEX128 ? 2 : 1;
  }

  /** The width in bytes of one scalar of a numeric type. */
  private int scalarWidth() {
    return switch (type) {
      case COMPLEX64 -> 4;
      case COMPLEX128 -> 8;
      default -> type.byteWidth();
    };
  }

  /**
   * The integer value of scalar {@code i} of an integer or bool tensor (uint64 as its bit pattern).
   */
  long integer(long i) {
    int at = Math.toIntExact(i * scalarWidth());
    return switch (type) {
      case INT8 -> bytes.get(at);
      case UINT8, BOOL -> bytes.get(at) & 0xFFL;
      case INT16 -> bytes.getShort(at);
      case UINT16 -> bytes.getShort(at) & 0xFFFFL;
      case INT32 -> bytes.getInt(at);
      case UINT32 -> bytes.getInt(at) & 0xFFFF_FFFFL;
      case INT64, UINT64 -> bytes.getLong(at);
      default -> throw new IllegalStateException("not an integer type: " + type);
    };
  }

  /** Scalar {@code i} (of {@code elements() * scalarsPerElement()}) as a double. */
  double scalar(long i) {
    int at = Math.toIntExact(i * scalarWidth());
    return switch (type) {
      case FLOAT, COMPLEX64 -> bytes.getFloat(at);
      case DOUBLE, COMPLEX128 -> bytes.getDouble(at);
      case FLOAT16 -> halfToFloat(bytes.getShort(at));
      case BFLOAT16 -> Float.intBitsToFloat((bytes.getShort(at) & 0xFFFF) << 16);
      case UINT64 -> unsignedToDouble(bytes.getLong(at));
      default -> integer(i);
    };
  }

  /** The bytes of element {@code i}, for dtypes compared byte by byte (float8, 4-bit). */
  int byteAt(long i) {
    return bytes.get(Math.toIntExact(i)) & 0xFF;
  }

  /** Converts an IEEE 754 half-precision bit pattern to a float (exactly). */
  static float halfToFloat(short half) {
    int bits = half & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1F;
    int mantissa = bits & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** Converts a float to the nearest IEEE 754 half-precision bit pattern (ties to even). */
  static short floatToHalf(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xFF;
    int mantissa = bits & 0x7F_FFFF;
    if (exponent == 0xFF) {
      return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0));
    }
    int halfExponent = exponent - 127 + 15;
    if (halfExponent >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    if (halfExponent <= 0) {
      if (halfExponent < -10) {
        return (short) sign;
      }
      int full = mantissa | 0x80_0000;
      int shift = 14 - halfExponent;
      int half = full >>> shift;
      int rest = full & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (halfExponent << 10) | (mantissa >>> 13);
    int rest = mantissa & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++;
    }
    return (short) (sign | half);
  }

  /** Converts a float to bfloat16 bits, rounding to nearest even. */
  static short floatToBfloat16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  private static double unsignedToDouble(long value) {
    double high = (double) (value >>> 1) * 2.0;
    return high + (value & 1);
  }

  /** True when both tensors have the same dtype, shape and bytes (or strings). */
  boolean sameBits(HostTensor other) {
    return type == other.type
        && Arrays.equals(shape, other.shape)
        && (strings != null
            ? Arrays.equals(strings, other.strings)
            : bytes().equals(other.bytes()));
  }
}
