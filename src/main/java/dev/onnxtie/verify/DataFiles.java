package dev.onnxtie.verify;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.TypeProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads data files: {@code .npy} arrays and ONNX {@code .pb} files holding a {@code TensorProto},
 * or, where the declared type says so, a {@code SequenceProto} or {@code OptionalProto} (decoded
 * field by field, as onnx.proto's data messages are not compiled here).
 */
final class DataFiles {
  // SequenceProto / OptionalProto field numbers and elem_type values (onnx-data.proto).
  private static final int FIELD_TENSOR = 3;
  private static final int FIELD_SPARSE = 4;
  private static final int FIELD_SEQUENCE = 5;
  private static final int FIELD_MAP = 6;
  private static final int FIELD_OPTIONAL = 7;

  private DataFiles() {}

  /**
   * Reads a tensor from a {@code .npy} or {@code .pb} file, by its extension.
   *
   * @throws OnnxTieException (bad input) for another extension or an unreadable file
   */
  static HostTensor readTensor(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".npy")) {
      return Npy.read(file);
    }
    if (name.endsWith(".pb")) {
      return tensor(parseTensor(bytes(file), file.toString()), file.toString());
    }
    throw OnnxTieException.badInput(
        "input file " + file + " is neither .npy nor .pb (an ONNX TensorProto)");
  }

  /**
   * The name stored in a {@code .pb} data file: a TensorProto's {@code name}, else the {@code name}
   * (field 1) of a SequenceProto, OptionalProto or MapProto; empty when there is none.
   */
  static String nameIn(Path file) {
    byte[] content = bytes(file);
    try {
      String tensorName = TensorProto.parseFrom(content).getName();
      if (!tensorName.isEmpty()) {
        return tensorName;
      }
    } catch (InvalidProtocolBufferException e) {
      // not a TensorProto: try the other data messages below
    }
    try {
      CodedInputStream input = CodedInputStream.newInstance(content);
      for (int tag = input.readTag(); tag != 0; tag = input.readTag()) {
        if (WireFormat.getTagFieldNumber(tag) == 1
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          return input.readStringRequireUtf8();
        }
        input.skipField(tag);
      }
    } catch (IOException e) {
      return "";
    }
    return "";
  }

  /**
   * Reads a {@code .pb} data file as the value {@code declared} describes: a tensor, a sequence or
   * an optional. A null or tensor type reads a {@code TensorProto}.
   */
  static Value readValue(Path file, TypeProto declared) {
    return value(bytes(file), declared, file.toString());
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static Value value(byte[] content, TypeProto declared, String label) {
    if (declared == null
        || declared.hasTensorType()
        || declared.getValueCase() == TypeProto.ValueCase.VALUE_NOT_SET) {
      return tensor(parseTensor(content, label), label);
    }
    if (declared.hasSequenceType()) {
      return sequence(content, declared.getSequenceType().getElemType(), label);
    }
    if (declared.hasOptionalType()) {
      return optional(content, declared.getOptionalType().getElemType(), label);
    }
    return new Value.Unsupported(
        declared.getValueCase().name().toLowerCase(Locale.ROOT).replace("_type", ""));
  }

  private static Value sequence(byte[] content, TypeProto elementType, String label) {
    List<Value> elements = new ArrayList<>();
    for (Field field : fields(content, label)) {
      switch (field.number) {
        case FIELD_TENSOR -> elements.add(tensor(parseTensor(field.bytes, label), label));
        case FIELD_SEQUENCE ->
            elements.add(sequence(field.bytes, elementType.getSequenceType().getElemType(), label));
        case FIELD_OPTIONAL ->
            elements.add(optional(field.bytes, elementType.getOptionalType().getElemType(), label));
        case FIELD_SPARSE -> elements.add(new Value.Unsupported("sparse_tensor"));
        case FIELD_MAP -> elements.add(new Value.Unsupported("map"));
        default -> {
          // name and elem_type: nothing to keep
        }
      }
    }
    return new Value.Sequence(elements);
  }

  private static Value optional(byte[] content, TypeProto elementType, String label) {
    for (Field field : fields(content, label)) {
      switch (field.number) {
        case FIELD_TENSOR -> {
          return tensor(parseTensor(field.bytes, label), label);
        }
        case FIELD_SEQUENCE -> {
          return sequence(field.bytes, elementType.getSequenceType().getElemType(), label);
        }
        case FIELD_OPTIONAL -> {
          return optional(field.bytes, elementType.getOptionalType().getElemType(), label);
        }
        case FIELD_SPARSE -> {
          return new Value.Unsupported("sparse_tensor");
        }
        case FIELD_MAP -> {
          return new Value.Unsupported("map");
        }
        default -> {
          // name and elem_type: nothing to keep
        }
      }
    }
    return new Value.None();
  }

  /** A length-delimited field of a message. */
  private record Field(int number, byte[] bytes) {}

  /** The length-delimited fields 3..7 of a SequenceProto or OptionalProto, in order. */
  private static List<Field> fields(byte[] content, String label) {
    List<Field> fields = new ArrayList<>();
    try {
      CodedInputStream input = CodedInputStream.newInstance(content);
      input.setSizeLimit(Integer.MAX_VALUE);
      for (int tag = input.readTag(); tag != 0; tag = input.readTag()) {
        int number = WireFormat.getTagFieldNumber(tag);
        if (number >= FIELD_TENSOR
            && number <= FIELD_OPTIONAL
            && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          fields.add(new Field(number, input.readByteArray()));
        } else {
          input.skipField(tag);
        }
      }
    } catch (IOException e) {
      throw OnnxTieException.badInput(
          label + " is not a valid ONNX data file: " + oneLine(e.getMessage()));
    }
    return fields;
  }

  private static TensorProto parseTensor(byte[] content, String label) {
    try {
      CodedInputStream input = CodedInputStream.newInstance(content);
      input.setSizeLimit(Integer.MAX_VALUE);
      return TensorProto.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      throw OnnxTieException.badInput(
          label + " is not a valid ONNX TensorProto: " + oneLine(e.getMessage()));
    } catch (IOException e) {
      throw OnnxTieException.badInput("cannot parse " + label + ": " + oneLine(e.getMessage()));
    }
  }

  /**
   * The data of a {@code TensorProto} in memory.
   *
   * @throws OnnxTieException (bad input) for external or segmented data, or a size that disagrees
   */
  static HostTensor tensor(TensorProto proto, String label) {
    String named = proto.getName().isEmpty() ? label : label + " ('" + proto.getName() + "')";
    if (Tensors.isExternal(proto)) {
      throw OnnxTieException.badInput(
          named + " keeps its data in an external file; give the data inline");
    }
    if (proto.hasSegment()) {
      throw OnnxTieException.badInput(named + " is a segment of a tensor; give the whole tensor");
    }
    DataType type = Tensors.dataType(proto);
    long[] shape = Tensors.dims(proto);
    long elements = Tensors.elementCount(named, shape);
    if (type == DataType.STRING) {
      if (proto.getStringDataCount() != elements) {
        throw OnnxTieException.badInput(
            named
                + " has "
                + proto.getStringDataCount()
                + " strings but its dims need "
                + elements);
      }
      String[] strings = new String[(int) elements];
      for (int i = 0; i < strings.length; i++) {
        strings[i] = proto.getStringData(i).toString(StandardCharsets.UTF_8);
      }
      return HostTensor.ofStrings(shape, strings);
    }
    ByteString raw;
    if (proto.hasRawData()) {
      raw = proto.getRawData();
      long expected = type.byteSize(elements);
      if (raw.size() != expected) {
        throw OnnxTieException.badInput(
            named
                + " has "
                + raw.size()
                + " bytes of raw_data but its dims and dtype need "
                + expected);
      }
    } else {
      raw = Tensors.typedToRaw(proto);
    }
    ByteBuffer copy = ByteBuffer.allocate(raw.size());
    raw.copyTo(copy);
    copy.flip();
    return HostTensor.of(type, shape, copy);
  }

  static String oneLine(String message) {
    if (message == null) {
      return "no detail";
    }
    String line = message.strip();
    int end = line.indexOf('\n');
    return end < 0 ? line : line.substring(0, end).strip();
  }
}
