package dev.onnxtie.graph;

import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.TensorShapeProto;
import dev.onnxtie.proto.Onnx.TypeProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The types of values as a {@link Scope} sees them: read from declarations, initializers and
 * Constants up the enclosing scopes, and made into the {@code ValueInfoProto}s a scope declares.
 * Dims are {@code Long} (a known size), {@code String} (a symbol) or null (unknown).
 */
final class ScopeTypes {
  private ScopeTypes() {}

  /**
   * The type of a value visible in {@code from}: declared (input, output, value_info), an
   * initializer's or a Constant's, looked up from that scope outwards.
   */
  static Optional<TensorType> typeOf(Scope from, String name) {
    for (Scope scope = from; scope != null; scope = scope.parent) {
      TensorProto init = scope.initializers.get(name);
      if (init != null) {
        return Optional.of(ofTensor(init));
      }
      ValueInfoProto value = scope.declared.get(name);
      if (value != null && value.getType().hasTensorType()) {
        TypeProto.Tensor tensor = value.getType().getTensorType();
        List<Object> dims = null;
        if (tensor.hasShape()) {
          dims = new ArrayList<>();
          for (TensorShapeProto.Dimension dim : tensor.getShape().getDimList()) {
            dims.add(
                dim.hasDimValue()
                    ? (Object) dim.getDimValue()
                    : dim.hasDimParam() ? dim.getDimParam() : null);
          }
        }
        return Optional.of(new TensorType(tensor.getElemType(), dims));
      }
      Optional<TensorProto> constant = scope.producer(name).flatMap(Node::constantTensor);
      if (constant.isPresent()) {
        return Optional.of(ofTensor(constant.get()));
      }
    }
    return Optional.empty();
  }

  private static TensorType ofTensor(TensorProto tensor) {
    List<Object> dims = new ArrayList<>();
    for (long dim : tensor.getDimsList()) {
      dims.add(dim);
    }
    return new TensorType(tensor.getDataType(), dims);
  }

  /** A tensor value's declaration; without a shape when {@code dims} is null. */
  static ValueInfoProto valueInfo(String name, int elemType, List<Object> dims) {
    TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder().setElemType(elemType);
    if (dims != null) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (Object dim : dims) {
        TensorShapeProto.Dimension.Builder d = shape.addDimBuilder();
        if (dim instanceof Long value) {
          d.setDimValue(value);
        } else if (dim instanceof String symbol) {
          d.setDimParam(symbol);
        }
      }
      tensor.setShape(shape);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensor))
        .build();
  }

  /** The declaration of a tensor of known dims (an initializer listed among IR 3's inputs). */
  static ValueInfoProto valueInfo(String name, int elemType, long[] dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long dim : dims) {
      shape.addDimBuilder().setDimValue(dim);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape.build())))
        .build();
  }
}
