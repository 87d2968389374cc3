package dev.onnxtie.tie;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.TensorBytes;

/**
 * Reads element {@code i} of a little-endian tensor's bytes as bits, for every fixed-size dtype.
 */
final class ElementReader {
  private ElementReader() {}

  /**
   * The bits of element {@code index} (the low half for 16-byte elements). {@code packedBits} is 4
   * or 2 for the sub-byte types (several elements to a byte, the first in the lowest bits), 0 for
   * the others.
   */
  static long bits(TensorBytes data, int width, int packedBits, long index) {
    if (packedBits != 0) {
      int perByte = 8 / packedBits;
      int b = data.get(index / perByte);
      return (b >>> ((int) (index % perByte) * packedBits)) & ((1 << packedBits) - 1);
    }
    long at = index * width;
    return switch (width) {
      case 1 -> data.get(at) & 0xFFL;
      case 2 -> data.getShort(at) & 0xFFFFL;
      case 4 -> data.getInt(at) & 0xFFFFFFFFL;
      case 8 -> data.getLong(at);
      case 16 -> data.getLong(at) * 0x9E3779B97F4A7C15L ^ data.getLong(at + 8);
      default -> throw new IllegalArgumentException("width " + width);
    };
  }

  /**
   * True when element {@code ia} of {@code a} and element {@code ib} of {@code b} have equal bits.
   */
  static boolean same(TensorBytes a, long ia, TensorBytes b, long ib, int width, int packedBits) {
    if (packedBits != 0) {
      return bits(a, width, packedBits, ia) == bits(b, width, packedBits, ib);
    }
    long pa = ia * width;
    long pb = ib * width;
    return switch (width) {
      case 1 -> a.get(pa) == b.get(pb);
      case 2 -> a.getShort(pa) == b.getShort(pb);
      case 4 -> a.getInt(pa) == b.getInt(pb);
      case 8 -> a.getLong(pa) == b.getLong(pb);
      case 16 -> a.getLong(pa) == b.getLong(pb) && a.getLong(pa + 8) == b.getLong(pb + 8);
      default -> throw new IllegalArgumentException("width " + width);
    };
  }

  /** Bits of one element of a packed sub-byte type (4 or 2), 0 for the byte-aligned types. */
  static int packedBits(DataType type) {
    return type.isPacked() ? type.bits() : 0;
  }

  /** Element width in bytes for the reader (16 for complex128). */
  static int width(DataType type) {
    return type.isPacked() ? 1 : type.bits() / 8;
  }
}
