package dev.onnxtie.verify;

import com.google.protobuf.ByteString;
import dev.onnxtie.model.DataType;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.TensorShapeProto;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tiny models and data files built in code for the verify tests. */
final class VerifyModels {
  static final Path SAMPLES = Path.of("samples");

  private VerifyModels() {}

  /** A tensor value_info; each dim a Long, a String symbol, or null for unknown. */
  static ValueInfoProto value(String name, DataType type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object dim : dims) {
      TensorShapeProto.Dimension.Builder d = shape.addDimBuilder();
      if (dim instanceof Number n) {
        d.setDimValue(n.longValue());
      } else if (dim instanceof String s) {
        d.setDimParam(s);
      }
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(type.code()).setShape(shape)))
        .build();
  }

  static NodeProto node(
      String op, String[] inputs, String[] outputs, AttributeProto... attributes) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(op + "_" + outputs[0]);
    for (String input : inputs) {
      node.addInput(input);
    }
    for (String output : outputs) {
      node.addOutput(output);
    }
    for (AttributeProto attribute : attributes) {
      node.addAttribute(attribute);
    }
    return node.build();
  }

  static ModelProto model(GraphProto graph) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("onnx-tie-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(graph)
        .build();
  }

  /** y = op(x), one node, both declared as {@code type[dims]}. */
  static ModelProto unary(String op, DataType type, Object... dims) {
    return model(
        GraphProto.newBuilder()
            .setName(op.toLowerCase())
            .addNode(node(op, new String[] {"x"}, new String[] {"y"}))
            .addInput(value("x", type, dims))
            .addOutput(value("y", type, dims))
            .build());
  }

  static Path write(ModelProto model, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      model.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  static TensorProto floatTensor(String name, long[] dims, float... values) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      raw.putFloat(value);
    }
    raw.flip();
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(DataType.FLOAT.code())
            .setRawData(ByteString.copyFrom(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    return tensor.build();
  }

  static Path write(TensorProto tensor, Path file) {
    try {
      Files.write(file, tensor.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** The bytes of a version 1.0 .npy file, header laid out exactly as numpy.save writes it. */
  static byte[] npy(String descr, boolean fortranOrder, long[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      dims.append(shape[i])
          .append(i == 0 && shape.length == 1 ? "," : i < shape.length - 1 ? ", " : "");
    }
    dims.append(')');
    String dict =
        "{'descr': '"
            + descr
            + "', 'fortran_order': "
            + (fortranOrder ? "True" : "False")
            + ", 'shape': "
            + dims
            + ", }";
    int total = 10 + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    String header = dict + " ".repeat(padded - total) + "\n";
    ByteBuffer file =
        ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
    file.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    file.putShort((short) header.length());
    file.put(header.getBytes(StandardCharsets.ISO_8859_1));
    file.put(data);
    return file.array();
  }

  static byte[] floats(ByteOrder order, float... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(order);
    for (float value : values) {
      data.putFloat(value);
    }
    return data.array();
  }
}
