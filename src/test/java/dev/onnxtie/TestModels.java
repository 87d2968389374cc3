package dev.onnxtie;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
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
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Builders of tiny models for unit tests. */
public final class TestModels {
  private TestModels() {}

  /** The repository's samples folder. */
  public static Path samples() {
    return Path.of("samples").toAbsolutePath();
  }

  /**
   * Copies samples/gpt2_tied into {@code folder} as PREFIX{first}.onnx, PREFIX{first+1}.onnx, ...
   */
  public static void gpt2Copies(Path folder, String prefix, int first, int count) {
    try {
      Files.createDirectories(folder);
      for (int i = first; i < first + count; i++) {
        Files.copy(samples().resolve("gpt2_tied/model.onnx"), folder.resolve(prefix + i + ".onnx"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies models of ONNX's backend suite ({@code node/TEST/model.onnx}) in as TEST.onnx. */
  public static void backendModels(Path folder, List<String> tests) {
    try {
      Files.createDirectories(folder);
      for (String test : tests) {
        Files.copy(
            BackendData.suite().resolve("node/" + test + "/model.onnx"),
            folder.resolve(test + ".onnx"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A float tensor of the given dims filled with seeded random values. */
  public static float[] randomFloats(long seed, int count) {
    Random random = new Random(seed);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = random.nextFloat() * 2 - 1;
    }
    return values;
  }

  /** An initializer with raw float data. */
  public static TensorProto floats(String name, float[] values, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putFloat(v);
    }
    return raw(name, DataType.FLOAT, raw.array(), dims);
  }

  /** An initializer with raw bytes of any type. */
  /** A string tensor in {@code string_data}, one UTF-8 element per value. */
  public static TensorProto strings(String name, List<String> values, long... dims) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder().setName(name).setDataType(DataType.STRING.code());
    values.forEach(v -> tensor.addStringData(ByteString.copyFromUtf8(v)));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    return tensor.build();
  }

  public static TensorProto raw(String name, DataType type, byte[] raw, long... dims) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(type.code())
            .setRawData(ByteString.copyFrom(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    return tensor.build();
  }

  /** Row-major transpose of a rank-2 float array of shape [rows, cols]. */
  public static float[] transpose(float[] values, int rows, int cols) {
    float[] out = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = values[r * cols + c];
      }
    }
    return out;
  }

  /** A general axis permutation of a row-major float array: out = Transpose(values, perm). */
  public static float[] permute(float[] values, long[] dims, int[] perm) {
    int rank = dims.length;
    long[] stride = new long[rank];
    long s = 1;
    for (int k = rank - 1; k >= 0; k--) {
      stride[k] = s;
      s *= dims[k];
    }
    long[] outDims = new long[rank];
    for (int k = 0; k < rank; k++) {
      outDims[k] = dims[perm[k]];
    }
    float[] out = new float[values.length];
    int[] index = new int[rank];
    for (int o = 0; o < out.length; o++) {
      long at = 0;
      for (int k = 0; k < rank; k++) {
        at += index[k] * stride[perm[k]];
      }
      out[o] = values[(int) at];
      for (int k = rank - 1; k >= 0; k--) {
        if (++index[k] < outDims[k]) {
          break;
        }
        index[k] = 0;
      }
    }
    return out;
  }

  /**
   * A tensor value info of any element type; each dim a number (a size), a String (a symbol) or
   * null (unknown).
   */
  public static ValueInfoProto value(String name, int elemType, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object dim : dims) {
      TensorShapeProto.Dimension.Builder d = shape.addDimBuilder();
      if (dim instanceof String symbol) {
        d.setDimParam(symbol);
      } else if (dim instanceof Number size) {
        d.setDimValue(size.longValue());
      }
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  /** The same with a {@link DataType}. */
  public static ValueInfoProto value(String name, DataType type, Object... dims) {
    return value(name, type.code(), dims);
  }

  /** A node. */
  public static NodeProto node(
      String op,
      String name,
      List<String> inputs,
      List<String> outputs,
      AttributeProto... attributes) {
    NodeProto.Builder node =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (AttributeProto attribute : attributes) {
      node.addAttribute(attribute);
    }
    return node.build();
  }

  /** A node named after its op and first output ({@code Add_y}). */
  public static NodeProto node(
      String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
    return node(op, op + "_" + outputs.get(0), inputs, outputs, attributes);
  }

  /** An int attribute. */
  public static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  /** An ints attribute. */
  public static AttributeProto intsAttribute(String name, long... values) {
    AttributeProto.Builder attribute =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long value : values) {
      attribute.addInts(value);
    }
    return attribute.build();
  }

  /** A graph attribute. */
  public static AttributeProto graphAttribute(String name, GraphProto graph) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.GRAPH)
        .setG(graph)
        .build();
  }

  /** A tensor attribute (for Constant nodes). */
  public static AttributeProto tensorAttribute(String name, TensorProto tensor) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.TENSOR)
        .setT(tensor)
        .build();
  }

  /** A model around a graph, IR 8, opset 17. */
  public static ModelProto model(GraphProto graph) {
    return model(graph, 8, 17);
  }

  /** A model around a graph with the given IR and default opset versions. */
  public static ModelProto model(GraphProto graph, long ir, long opset) {
    if (graph.getName().isEmpty()) {
      graph = graph.toBuilder().setName("test").build(); // ONNX requires graph names
    }
    return ModelProto.newBuilder()
        .setIrVersion(ir)
        .setProducerName("onnx-tie-tests")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(graph)
        .build();
  }

  /** A SHA-256 over every path and regular file's bytes under a folder (links not followed). */
  public static String digest(Path folder) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted().toList()) {
        sha.update(file.toString().getBytes(StandardCharsets.UTF_8));
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          sha.update(Files.readAllBytes(file));
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Writes a message (a model, a tensor) to a file. */
  public static Path save(MessageLite message, Path file) {
    try {
      Files.write(file, message.toByteArray());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The classic tied pair: {@code y = x · Wᵀ-copy} where the graph holds W [out,in] read by a
   * Gather and a transposed copy [in,out] read by MatMul. Input x [batch, in], ids int64 [n].
   */
  public static ModelProto embeddingAndHead(int vocab, int hidden) {
    float[] weight = randomFloats(7, vocab * hidden);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("tied")
            .addInitializer(floats("emb", weight, vocab, hidden))
            .addInitializer(
                floats("onnx::MatMul_head", transpose(weight, vocab, hidden), hidden, vocab))
            .addInput(value("ids", 7, "n"))
            .addOutput(value("logits", 1, "n", vocab))
            .addNode(node("Gather", "embed", List.of("emb", "ids"), List.of("h")))
            .addNode(node("MatMul", "head", List.of("h", "onnx::MatMul_head"), List.of("logits")))
            .build();
    return model(graph);
  }
}
