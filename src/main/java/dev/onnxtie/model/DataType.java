package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import java.util.Locale;

/**
 * Every ONNX tensor element type up to IR version 13, with its size and the typed field of {@code
 * TensorProto} that holds it when {@code raw_data} is not used. The sub-byte types are packed: two
 * 4-bit or four 2-bit elements to a byte, the first element in the lowest bits.
 */
public enum DataType {
  UNDEFINED(0, 0, Field.NONE),
  FLOAT(1, 32, Field.FLOAT),
  UINT8(2, 8, Field.INT32),
  INT8(3, 8, Field.INT32),
  UINT16(4, 16, Field.INT32),
  INT16(5, 16, Field.INT32),
  INT32(6, 32, Field.INT32),
  INT64(7, 64, Field.INT64),
  STRING(8, 0, Field.STRING),
  BOOL(9, 8, Field.INT32),
  FLOAT16(10, 16, Field.INT32),
  DOUBLE(11, 64, Field.DOUBLE),
  UINT32(12, 32, Field.UINT64),
  UINT64(13, 64, Field.UINT64),
  COMPLEX64(14, 64, Field.FLOAT),
  COMPLEX128(15, 128, Field.DOUBLE),
  BFLOAT16(16, 16, Field.INT32),
  FLOAT8E4M3FN(17, 8, Field.INT32),
  FLOAT8E4M3FNUZ(18, 8, Field.INT32),
  FLOAT8E5M2(19, 8, Field.INT32),
  FLOAT8E5M2FNUZ(20, 8, Field.INT32),
  UINT4(21, 4, Field.INT32),
  INT4(22, 4, Field.INT32),
  FLOAT4E2M1(23, 4, Field.INT32),
  FLOAT8E8M0(24, 8, Field.INT32),
  UINT2(25, 2, Field.INT32),
  INT2(26, 2, Field.INT32);

  /** The typed {@code TensorProto} field that carries elements of a type. */
  public enum Field {
    NONE,
    FLOAT,
    INT32,
    INT64,
    DOUBLE,
    UINT64,
    STRING
  }

  private static final DataType[] BY_CODE = new DataType[27];

  static {
    for (DataType type : values()) {
      BY_CODE[type.code] = type;
    }
  }

  private final int code;
  private final int bits;
  private final Field field;

  DataType(int code, int bits, Field field) {
    this.code = code;
    this.bits = bits;
    this.field = field;
  }

  /** The {@code TensorProto.DataType} number. */
  public int code() {
    return code;
  }

  /** Bits per element: 4 or 2 for the packed types, 0 for STRING and UNDEFINED. */
  public int bits() {
    return bits;
  }

  /** The typed field used when the tensor has no raw_data. */
  public Field field() {
    return field;
  }

  /** True for the sub-byte types: 4-bit ones stored two elements per byte, 2-bit ones four. */
  public boolean isPacked() {
    return bits > 0 && bits < 8;
  }

  /** Elements per byte: 2 for the 4-bit types, 4 for the 2-bit ones, 1 otherwise. */
  public int elementsPerByte() {
    return isPacked() ? 8 / bits : 1;
  }

  /** True for types with a fixed element size (everything but STRING and UNDEFINED). */
  public boolean isFixedSize() {
    return bits > 0;
  }

  /** Bytes per element for types of at least 8 bits; 1 for the packed types (several per byte). */
  public int byteWidth() {
    return Math.max(1, bits / 8);
  }

  /**
   * Bytes taken by {@code elements} elements of this type in raw_data.
   *
   * @throws ArithmeticException when the size overflows a long
   */
  public long byteSize(long elements) {
    if (isPacked()) {
      int perByte = elementsPerByte();
      return elements / perByte + (elements % perByte == 0 ? 0 : 1);
    }
    return Math.multiplyExact(elements, (long) bits / 8);
  }

  /** The lower-case ONNX name, e.g. {@code float16}. */
  public String onnxName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The type with ONNX number {@code code}.
   *
   * @throws dev.onnxtie.OnnxTieException (bad input) for a number that is no ONNX type
   */
  public static DataType fromCode(int code) {
    if (code >= 0 && code < BY_CODE.length && BY_CODE[code] != null) {
      return BY_CODE[code];
    }
    throw OnnxTieException.badInput(
        "unknown tensor data_type " + code + " (known: 0.." + (BY_CODE.length - 1) + ")");
  }

  /** True when {@code code} names a known type. */
  public static boolean isKnown(int code) {
    return code >= 0 && code < BY_CODE.length && BY_CODE[code] != null;
  }
}
