package dev.onnxtie.verify;

import dev.onnxtie.TestModels;
import dev.onnxtie.model.DataType;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Models and data files for the verify tests, made with the one set of builders ({@link
 * TestModels}): one-node models and .npy files.
 */
final class VerifyModels {
  static final Path SAMPLES = Path.of("samples");

  private VerifyModels() {}

  /** y = op(x), one node, both declared as {@code type[dims]}. */
  static ModelProto unary(String op, DataType type, Object... dims) {
    return TestModels.model(
        GraphProto.newBuilder()
            .setName(op.toLowerCase())
            .addNode(TestModels.node(op, List.of("x"), List.of("y")))
            .addInput(TestModels.value("x", type, dims))
            .addOutput(TestModels.value("y", type, dims))
            .build());
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
