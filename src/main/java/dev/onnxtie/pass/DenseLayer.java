package dev.onnxtie.pass;

import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A dense layer of a graph: {@code y = act(x · W + b)} written as {@code MatMul} with an
 * initializer weight (optionally followed by an {@code Add} of an initializer bias), or as {@code
 * Gemm} with an initializer B (either {@code transB}, alpha = beta = 1, no transA), optionally
 * followed by a Relu, Sigmoid or Tanh that is the only reader of its output.
 *
 * @param node the MatMul or Gemm
 * @param weight the weight initializer as stored
 * @param transposedWeight true when the stored weight is [out, in] (Gemm transB=1)
 * @param inputWidth width of x (rows of W in x·W orientation)
 * @param outputWidth width of y
 * @param input the tensor x
 * @param bias the bias initializer, or null
 * @param activation relu, sigmoid, tanh or none
 * @param output the layer's output (after its activation)
 */
public record DenseLayer(
    Node node,
    TensorSource weight,
    boolean transposedWeight,
    long inputWidth,
    long outputWidth,
    String input,
    String bias,
    String activation,
    String output) {
  static final Set<String> ACTIVATIONS = Set.of("Relu", "Sigmoid", "Tanh");

  /** The node's name, or its label when it has none. */
  public String name() {
    return node.name().isEmpty() ? node.label() : node.name();
  }

  /** The dense layers of a scope, in node order. */
  public static List<DenseLayer> find(Scope scope) {
    List<DenseLayer> layers = new ArrayList<>();
    for (Node node : scope.nodes()) {
      layer(scope, node).ifPresent(layers::add);
    }
    return layers;
  }

  private static Optional<DenseLayer> layer(Scope scope, Node node) {
    boolean matmul = node.is("MatMul");
    boolean gemm = node.is("Gemm");
    if ((!matmul && !gemm) || node.inputs().size() < 2) {
      return Optional.empty();
    }
    Optional<TensorSource> weight = scope.initializer(node.inputs().get(1));
    if (weight.isEmpty() || weight.get().rank() != 2) {
      return Optional.empty();
    }
    boolean transposed = false;
    String bias = null;
    String output = node.outputs().get(0);
    if (gemm) {
      if (node.intAttribute("transA", 0) != 0
          || node.floatAttribute("alpha", 1f) != 1f
          || node.floatAttribute("beta", 1f) != 1f) {
        return Optional.empty();
      }
      transposed = node.intAttribute("transB", 0) != 0;
      if (node.inputs().size() > 2 && !node.inputs().get(2).isEmpty()) {
        bias = node.inputs().get(2);
        if (!scope.hasInitializer(bias)) {
          return Optional.empty();
        }
      }
    }
    long[] dims = weight.get().dims();
    long in = transposed ? dims[1] : dims[0];
    long out = transposed ? dims[0] : dims[1];
    if (matmul) {
      Node add = onlyReader(scope, output);
      if (add != null && add.is("Add")) {
        String other =
            add.inputs().get(0).equals(output) ? add.inputs().get(1) : add.inputs().get(0);
        Optional<TensorSource> b = scope.initializer(other);
        if (b.isPresent()
            && b.get().byteSize() == out * b.get().type().byteWidth()
            && b.get().dims()[b.get().rank() - 1] == out) {
          bias = other;
          output = add.outputs().get(0);
        }
      }
    }
    String activation = "none";
    Node next = onlyReader(scope, output);
    if (next != null
        && ACTIVATIONS.contains(next.opType())
        && next.is(next.opType())
        && !scope.isGraphOutput(output)) {
      activation = next.opType().toLowerCase(Locale.ROOT);
      output = next.outputs().get(0);
    }
    return Optional.of(
        new DenseLayer(
            node,
            weight.get(),
            transposed,
            in,
            out,
            node.inputs().get(0),
            bias,
            activation,
            output));
  }

  private static Node onlyReader(Scope scope, String tensor) {
    List<Node> readers = new ArrayList<>();
    for (Node node : scope.nodes()) {
      if (node.inputs().contains(tensor)) {
        readers.add(node);
      }
    }
    return readers.size() == 1 ? readers.get(0) : null;
  }
}
