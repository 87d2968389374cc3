package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A strict reader of NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0). It accepts the
 * dtypes ONNX Runtime takes as inputs — {@code f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1} in either byte
 * order, and fixed-width strings ({@code U}, {@code S}) for string inputs — in C or Fortran order,
 * and refuses everything else (object arrays, structured dtypes, trailing or missing bytes) with a
 * one-line message. NumPy has no bfloat16 dtype; such inputs are given as {@code .pb} files.
 */
final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  private Npy() {}

  /**
   * Reads a {@code .npy} file.
   *
   * @throws OnnxTieException (bad input) naming the file and the problem
   */
  static HostTensor read(Path file) {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot read " + file + ": " + e.getMessage(), e);
    }
    return parse(content, file.toString());
  }

  /** Parses the bytes of a {@code .npy} file; {@code label} names it in messages. */
  static HostTensor parse(byte[] content, String label) {
    ByteBuffer in = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN);
    if (content.length < 10 || !ByteBuffer.wrap(content, 0, 6).equals(ByteBuffer.wrap(MAGIC))) {
      throw bad(label, "is not a .npy file (no \\x93NUMPY magic)");
    }
    int major = content[6];
    int headerLength;
    int headerStart;
    if (major == 1) {
      headerLength = in.getShort(8) & 0xFFFF;
      headerStart = 10;
    } else if (major == 2 || major == 3) {
      if (content.length < 12) {
        throw bad(label, "is truncated");
      }
      headerLength = in.getInt(8);
      headerStart = 12;
    } else {
      throw bad(label, "has .npy format version " + major + "; versions 1 to 3 are read");
    }
    if (headerLength < 0 || headerStart + (long) headerLength > content.length) {
      throw bad(label, "is truncated in its header");
    }
    String header =
        new String(
                content,
                headerStart,
                headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1)
            .strip();
    Header parsed = Header.parse(header, label);
    int dataStart = headerStart + headerLength;
    long elements;
    try {
      elements = Tensors.elementCount(label, parsed.shape);
    } catch (OnnxTieException e) {
      throw bad(label, "has a shape whose size overflows");
    }
    Dtype dtype = Dtype.parse(parsed.descr, label);
    long needed;
    try {
      needed = Math.multiplyExact(elements, (long) dtype.itemSize);
    } catch (ArithmeticException e) {
      throw bad(label, "has a shape whose size overflows");
    }
    long present = content.length - (long) dataStart;
    if (present != needed) {
      throw bad(
          label,
          "holds "
              + present
              + " data bytes but dtype "
              + parsed.descr
              + " and shape "
              + Tensors.shapeText(parsed.shape)
              + " need "
              + needed);
    }
    int count = Math.toIntExact(elements);
    if (dtype.type == DataType.STRING) {
      String[] strings = new String[count];
      for (int i = 0; i < count; i++) {
        strings[i] = dtype.decodeString(content, dataStart + i * dtype.itemSize);
      }
      return HostTensor.ofStrings(
          parsed.shape, parsed.fortranOrder ? toCOrder(strings, parsed.shape) : strings);
    }
    int width = dtype.itemSize;
    ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(needed)).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      int source = dataStart + (parsed.fortranOrder ? fortranIndex(i, parsed.shape) : i) * width;
      for (int b = 0; b < width; b++) {
        data.put(i * width + b, content[source + (dtype.bigEndian ? width - 1 - b : b)]);
      }
    }
    if (dtype.type == DataType.BOOL) {
      for (int i = 0; i < count; i++) {
        if ((data.get(i) & 0xFF) > 1) {
          throw bad(label, "has a bool element that is neither 0 nor 1 at index " + i);
        }
      }
    }
    return HostTensor.of(dtype.type, parsed.shape, data);
  }

  /** The position in a Fortran-ordered buffer of the element at C-order index {@code index}. */
  private static int fortranIndex(int index, long[] shape) {
    int rest = index;
    int position = 0;
    int stride = 1;
    int[] coordinates = new int[shape.length];
    for (int axis = shape.length - 1; axis >= 0; axis--) {
      coordinates[axis] = (int) (rest % shape[axis]);
      rest /= (int) shape[axis];
    }
    for (int axis = 0; axis < shape.length; axis++) {
      position += coordinates[axis] * stride;
      stride *= (int) shape[axis];
    }
    return position;
  }

  private static String[] toCOrder(String[] fortran, long[] shape) {
    String[] ordered = new String[fortran.length];
    for (int i = 0; i < ordered.length; i++) {
      ordered[i] = fortran[fortranIndex(i, shape)];
    }
    return ordered;
  }

  private static OnnxTieException bad(String label, String problem) {
    return OnnxTieException.badInput(label + " " + problem);
  }

  /** The parsed header dictionary. */
  private record Header(String descr, boolean fortranOrder, long[] shape) {
    /** Parses {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} strictly. */
    static Header parse(String text, String label) {
      if (!text.startsWith("{") || !text.endsWith("}")) {
        throw bad(label, "has a header that is not a Python dict: " + text);
      }
      String body = text.substring(1, text.length() - 1).strip();
      String descr = null;
      Boolean fortran = null;
      long[] shape = null;
      int at = 0;
      while (at < body.length()) {
        int keyEnd = body.indexOf(':', at);
        if (keyEnd < 0) {
          throw bad(label, "has a malformed header: " + text);
        }
        String key = unquote(body.substring(at, keyEnd).strip(), label);
        int valueStart = keyEnd + 1;
        int valueEnd = valueEnd(body, valueStart);
        String value = body.substring(valueStart, valueEnd).strip();
        switch (key) {
          case "descr" -> descr = unquote(value, label);
          case "fortran_order" -> {
            if (!value.equals("True") && !value.equals("False")) {
              throw bad(label, "has fortran_order " + value + "; expected True or False");
            }
            fortran = value.equals("True");
          }
          case "shape" -> shape = parseShape(value, label);
          default -> throw bad(label, "has an unexpected header key '" + key + "'");
        }
        at = valueEnd + 1;
        while (at < body.length() && Character.isWhitespace(body.charAt(at))) {
          at++;
        }
      }
      if (descr == null || fortran == null || shape == null) {
        throw bad(label, "lacks one of descr, fortran_order, shape in its header: " + text);
      }
      return new Header(descr, fortran, shape);
    }

    /** The end of a value: the next comma outside parentheses and quotes, or the end. */
    private static int valueEnd(String body, int from) {
      int depth = 0;
      boolean quoted = false;
      for (int i = from; i < body.length(); i++) {
        char c = body.charAt(i);
        if (c == '\'' || c == '"') {
          quoted = !quoted;
        } else if (!quoted && c == '(') {
          depth++;
        } else if (!quoted && c == ')') {
          depth--;
        } else if (!quoted && depth == 0 && c == ',') {
          return i;
        }
      }
      return body.length();
    }

    private static String unquote(String text, String label) {
      if (text.length() >= 2
          && (text.charAt(0) == '\'' || text.charAt(0) == '"')
          && text.charAt(text.length() - 1) == text.charAt(0)) {
        return text.substring(1, text.length() - 1);
      }
      throw bad(label, "has an unquoted string in its header: " + text);
    }

    private static long[] parseShape(String text, String label) {
      if (!text.startsWith("(") || !text.endsWith(")")) {
        throw bad(label, "has a shape that is not a tuple: " + text);
      }
      List<Long> dims = new ArrayList<>();
      for (String part : text.substring(1, text.length() - 1).split(",")) {
        String dim = part.strip();
        if (dim.isEmpty()) {
          continue;
        }
        try {
          long value = Long.parseLong(dim.endsWith("L") ? dim.substring(0, dim.length() - 1) : dim);
          if (value < 0) {
            throw bad(label, "has a negative dimension in its shape " + text);
          }
          dims.add(value);
        } catch (NumberFormatException e) {
          throw bad(label, "has a shape that is not a tuple of integers: " + text);
        }
      }
      return dims.stream().mapToLong(Long::longValue).toArray();
    }
  }

  /** A parsed {@code descr}: the ONNX dtype, item size and byte order. */
  private record Dtype(DataType type, int itemSize, boolean bigEndian, char stringKind) {
    static Dtype parse(String descr, String label) {
      if (descr.length() < 3) {
        throw unsupported(descr, label);
      }
      char order = descr.charAt(0);
      if ("<>|=".indexOf(order) < 0) {
        throw unsupported(descr, label);
      }
      boolean bigEndian =
          order == '>' || (order == '=' && ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN);
      char kind = descr.charAt(1);
      int size;
      try {
        size = Integer.parseInt(descr.substring(2));
      } catch (NumberFormatException e) {
        throw unsupported(descr, label);
      }
      if (kind == 'U' || kind == 'S') {
        if (size <= 0 || (kind == 'U' && size > Integer.MAX_VALUE / 4)) {
          throw unsupported(descr, label);
        }
        return new Dtype(DataType.STRING, kind == 'U' ? size * 4 : size, bigEndian, kind);
      }
      DataType type =
          switch (kind + Integer.toString(size)) {
            case "f2" -> DataType.FLOAT16;
            case "f4" -> DataType.FLOAT;
            case "f8" -> DataType.DOUBLE;
            case "i1" -> DataType.INT8;
            case "i2" -> DataType.INT16;
            case "i4" -> DataType.INT32;
            case "i8" -> DataType.INT64;
            case "u1" -> DataType.UINT8;
            case "u2" -> DataType.UINT16;
            case "u4" -> DataType.UINT32;
            case "u8" -> DataType.UINT64;
            case "b1" -> DataType.BOOL;
            default -> throw unsupported(descr, label);
          };
      return new Dtype(type, size, bigEndian && size > 1, ' ');
    }

    String decodeString(byte[] content, int offset) {
      if (stringKind == 'S') {
        int end = offset;
        while (end < offset + itemSize && content[end] != 0) {
          end++;
        }
        return new String(content, offset, end - offset, StandardCharsets.UTF_8);
      }
      StringBuilder text = new StringBuilder();
      ByteBuffer chars =
          ByteBuffer.wrap(content, offset, itemSize)
              .order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < itemSize / 4; i++) {
        int codePoint = chars.getInt(offset + i * 4);
        if (codePoint == 0) {
          break;
        }
        if (!Character.isValidCodePoint(codePoint)) {
          throw OnnxTieException.badInput(
              String.format(
                  Locale.ROOT,
                  ".npy string element holds 0x%x, which is no Unicode code point",
                  codePoint));
        }
        text.appendCodePoint(codePoint);
      }
      return text.toString();
    }

    private static OnnxTieException unsupported(String descr, String label) {
      return bad(
          label,
          "has dtype '"
              + descr
              + "', which onnx-tie does not read; supported: "
              + "f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 (either byte order) and fixed-width strings U, S");
    }
  }
}
