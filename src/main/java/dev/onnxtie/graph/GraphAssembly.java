package dev.onnxtie.graph;

import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The last step of {@link GraphEditor#build()}: each scope's nodes sorted topologically (stable:
 * nodes already in order keep their order), then the scopes turned back into {@code GraphProto}s,
 * subgraphs into their nodes' attributes.
 */
final class GraphAssembly {
  private GraphAssembly() {}

  /**
   * True when no node of the scope reads what a node after it in the scope writes: {@link
   * #toposort} would keep the order.
   */
  static boolean inOrder(Scope scope) {
    Map<String, Integer> producer = new HashMap<>();
    for (int n = 0; n < scope.nodes.size(); n++) {
      for (String output : scope.nodes.get(n).outputs()) {
        if (!output.isEmpty()) {
          producer.put(output, n);
        }
      }
    }
    for (int n = 0; n < scope.nodes.size(); n++) {
      for (String read : dependencies(scope.nodes.get(n))) {
        Integer from = producer.get(read);
        if (from != null && from > n) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Stable topological sort: each node after the producers of everything it (or its bodies) reads.
   */
  static void toposort(Scope scope) {
    Map<String, Node> producer = new HashMap<>();
    for (Node node : scope.nodes) {
      for (String output : node.outputs()) {
        if (!output.isEmpty()) {
          producer.put(output, node);
        }
      }
    }
    Map<Node, Integer> state = new IdentityHashMap<>();
    List<Node> sorted = new ArrayList<>(scope.nodes.size());
    for (Node node : scope.nodes) {
      visit(node, producer, state, sorted);
    }
    scope.nodes.clear();
    scope.nodes.addAll(sorted);
  }

  private static void visit(
      Node start, Map<String, Node> producer, Map<Node, Integer> state, List<Node> sorted) {
    // Iterative depth-first search: graphs can be deep chains of thousands of nodes.
    if (state.containsKey(start)) {
      return;
    }
    List<Node> stack = new ArrayList<>();
    List<Iterator<String>> pending = new ArrayList<>();
    stack.add(start);
    pending.add(dependencies(start).iterator());
    state.put(start, 1);
    while (!stack.isEmpty()) {
      int top = stack.size() - 1;
      Iterator<String> deps = pending.get(top);
      if (deps.hasNext()) {
        Node before = producer.get(deps.next());
        if (before == null || before == stack.get(top)) {
          continue;
        }
        Integer seen = state.get(before);
        if (seen == null) {
          state.put(before, 1);
          stack.add(before);
          pending.add(dependencies(before).iterator());
        } else if (seen == 1) {
          throw new IllegalStateException(
              "the edit created a cycle through node " + before.label());
        }
      } else {
        Node done = stack.remove(top);
        pending.remove(top);
        state.put(done, 2);
        sorted.add(done);
      }
    }
  }

  private static List<String> dependencies(Node node) {
    List<String> deps = new ArrayList<>(node.inputs());
    for (Scope sub : node.subgraphs) {
      for (Node inner : sub.allNodes()) {
        deps.addAll(inner.inputs());
      }
      deps.addAll(sub.outputNames());
    }
    return deps;
  }

  static GraphProto build(Scope scope) {
    GraphProto.Builder graph = scope.graph.clone();
    for (Node node : scope.nodes) {
      graph.addNode(build(node));
    }
    for (TensorProto tensor : scope.initializers.values()) {
      graph.addInitializer(tensor);
    }
    return graph.build();
  }

  private static NodeProto build(Node node) {
    if (node.subgraphs.isEmpty()) {
      return node.proto.build();
    }
    NodeProto.Builder proto = node.proto.clone();
    Iterator<Scope> bodies = node.subgraphs.iterator();
    for (int a = 0; a < proto.getAttributeCount(); a++) {
      AttributeProto attribute = proto.getAttribute(a);
      if (!attribute.hasG() && attribute.getGraphsCount() == 0) {
        continue;
      }
      AttributeProto.Builder rebuilt = attribute.toBuilder();
      if (attribute.hasG()) {
        rebuilt.setG(build(bodies.next()));
      }
      for (int g = 0; g < attribute.getGraphsCount(); g++) {
        rebuilt.setGraphs(g, build(bodies.next()));
      }
      proto.setAttribute(a, rebuilt);
    }
    return proto.build();
  }
}
