package dev.onnxtie.model;

import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Walks and maps every graph of a model: the main graph and all subgraphs, depth first. */
public final class ProtoGraphs {
  private ProtoGraphs() {}

  /** Receives each graph with a readable path such as {@code main/If_3.then_branch}. */
  @FunctionalInterface
  public interface GraphVisitor {
    /** Visits one graph; {@code depth} is 0 for the main graph. */
    void visit(String path, int depth, GraphProto graph);
  }

  /** Visits the main graph, then each subgraph depth first. */
  public static void visit(ModelProto model, GraphVisitor visitor) {
    visit(model.getGraph(), "main", 0, visitor);
  }

  /** Visits {@code graph} and its subgraphs depth first. */
  public static void visit(GraphProto graph, String path, int depth, GraphVisitor visitor) {
    visitor.visit(path, depth, graph);
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      for (AttributeProto attribute : node.getAttributeList()) {
        if (!attribute.hasG() && attribute.getGraphsCount() == 0) {
          continue; // most attributes: no path to build (it cost a string per attribute per walk)
        }
        String base = path + "/" + nodeLabel(node, n) + "." + attribute.getName();
        if (attribute.hasG()) {
          visit(attribute.getG(), base, depth + 1, visitor);
        }
        for (int g = 0; g < attribute.getGraphsCount(); g++) {
          visit(attribute.getGraphs(g), base + "[" + g + "]", depth + 1, visitor);
        }
      }
    }
  }

  /**
   * Every tensor a graph holds in its own nodes' attributes (Constant values and the like), not in
   * subgraphs.
   */
  public static List<TensorProto> attributeTensors(GraphProto graph) {
    List<TensorProto> tensors = new ArrayList<>();
    for (NodeProto node : graph.getNodeList()) {
      for (AttributeProto attribute : node.getAttributeList()) {
        if (attribute.hasT()) {
          tensors.add(attribute.getT());
        }
        tensors.addAll(attribute.getTensorsList());
      }
    }
    return tensors;
  }

  /** A node's name, or {@code op_type#index} when it has none. */
  public static String nodeLabel(NodeProto node, int index) {
    return node.getName().isEmpty() ? node.getOpType() + "#" + index : node.getName();
  }

  /**
   * Rebuilds every graph bottom-up: subgraphs are mapped first, then {@code mapper} is applied to
   * the graph that holds them. Graphs the mapper returns unchanged are not copied.
   */
  public static ModelProto map(ModelProto model, UnaryOperator<GraphProto> mapper) {
    if (!model.hasGraph()) {
      return model;
    }
    return model.toBuilder().setGraph(map(model.getGraph(), mapper)).build();
  }

  /** Maps one graph and its subgraphs bottom-up. */
  public static GraphProto map(GraphProto graph, UnaryOperator<GraphProto> mapper) {
    GraphProto.Builder builder = null;
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      NodeProto.Builder nodeBuilder = null;
      for (int a = 0; a < node.getAttributeCount(); a++) {
        AttributeProto attribute = node.getAttribute(a);
        if (!attribute.hasG() && attribute.getGraphsCount() == 0) {
          continue;
        }
        AttributeProto.Builder attributeBuilder = attribute.toBuilder();
        if (attribute.hasG()) {
          attributeBuilder.setG(map(attribute.getG(), mapper));
        }
        for (int g = 0; g < attribute.getGraphsCount(); g++) {
          attributeBuilder.setGraphs(g, map(attribute.getGraphs(g), mapper));
        }
        if (nodeBuilder == null) {
          nodeBuilder = node.toBuilder();
        }
        nodeBuilder.setAttribute(a, attributeBuilder);
      }
      if (nodeBuilder != null) {
        if (builder == null) {
          builder = graph.toBuilder();
        }
        builder.setNode(n, nodeBuilder);
      }
    }
    return mapper.apply(builder == null ? graph : builder.build());
  }
}
