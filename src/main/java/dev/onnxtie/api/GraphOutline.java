package dev.onnxtie.api;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The structure of a model without its tensor data: every node of every graph (main graph and
 * subgraphs) with its inputs and outputs, and every constant tensor (initializer or Constant node)
 * with its dtype and shape. What the HTML report draws a tie's neighbourhood from; a few bytes per
 * node, however large the weights.
 *
 * @param model the model's path or label
 * @param nodes every node, graph by graph, in graph order
 * @param tensors every constant tensor
 */
public record GraphOutline(String model, List<NodeOutline> nodes, List<TensorOutline> tensors) {
  /** Defensive copies. */
  public GraphOutline {
    nodes = List.copyOf(nodes);
    tensors = List.copyOf(tensors);
  }

  /**
   * A node.
   *
   * @param name the node's name (may be empty)
   * @param opType the operator, prefixed with its domain when not the default one
   * @param scope the graph path of the graph that holds it ({@code main} for the main graph)
   * @param inputs input names ("" for an omitted optional input)
   * @param outputs output names
   */
  public record NodeOutline(
      String name, String opType, String scope, List<String> inputs, List<String> outputs) {
    /** Defensive copies. */
    public NodeOutline {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }

  /**
   * A constant tensor.
   *
   * @param name its name
   * @param scope the graph path of the graph that defines it
   * @param dtype element type name
   * @param shape dims
   */
  public record TensorOutline(String name, String scope, String dtype, List<Long> shape) {
    /** Defensive copy. */
    public TensorOutline {
      shape = List.copyOf(shape);
    }
  }

  /** The outline of a model file (read for the purpose; the weights are not touched). */
  public static GraphOutline of(Path file) {
    try (OnnxModel model = ModelIO.read(file)) {
      return of(model, file.toString());
    }
  }

  /** The outline of a read model. */
  static GraphOutline of(OnnxModel model, String label) {
    GraphEditor editor = new GraphEditor(model);
    List<NodeOutline> nodes = new ArrayList<>();
    List<TensorOutline> tensors = new ArrayList<>();
    for (Scope scope : editor.scopes()) {
      for (Node node : scope.nodes()) {
        String op =
            node.domain().isEmpty() || node.domain().equals("ai.onnx")
                ? node.opType()
                : node.domain() + "." + node.opType();
        nodes.add(new NodeOutline(node.name(), op, scope.path(), node.inputs(), node.outputs()));
      }
      for (TensorSource source : scope.tensorSources()) {
        tensors.add(
            new TensorOutline(
                source.name(),
                scope.path(),
                source.type().onnxName(),
                Arrays.stream(source.dims()).boxed().toList()));
      }
    }
    return new GraphOutline(label, nodes, tensors);
  }

  /**
   * The outline of what a rewrite with {@code options} makes of a model file, rewritten in memory
   * and not written: the "after" of a dry run.
   */
  public static GraphOutline afterRewrite(Path file, RewriteOptions options) {
    try (OnnxModel model = ModelIO.read(file)) {
      return of(OnnxTie.rewrite(model, options).model(), file.toString());
    }
  }
}
