package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.AttributeRules.Ranks;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph rules of {@link ModelValidator}, for the main graph and every subgraph: named, unique
 * initializers; no tensor written twice or over an initializer; no read of an undefined tensor;
 * every output produced; no cycle. Each node's attributes go to {@link AttributeRules}, each tensor
 * to {@link TensorRules} (unless it passed before: {@code checked}).
 */
final class GraphRules {
  private final OnnxModel model;
  private final Set<TensorProto> checked;

  GraphRules(OnnxModel model, Set<TensorProto> checked) {
    this.model = model;
    this.checked = checked;
  }

  /** One graph and, through its nodes, its subgraphs. */
  void validate(GraphProto graph, String path, Set<String> outer, Ranks outerRanks) {
    Set<String> defined = new HashSet<>(outer);
    Set<String> initializers = initializers(graph, path);
    defined.addAll(initializers);
    for (var sparse : graph.getSparseInitializerList()) {
      defined.add(sparse.getValues().getName());
    }
    for (ValueInfoProto input : graph.getInputList()) {
      defined.add(input.getName());
    }
    Map<String, Integer> producer = producers(graph, path, initializers);
    Set<String> visible = new HashSet<>(defined);
    visible.addAll(producer.keySet());
    // the reads of each node on producers of this graph, subgraph reads included; a node that reads
    // a later node's output (or its own) makes the order no topological one, and only then is the
    // graph searched for a cycle (exported graphs are sorted: most never are)
    Ranks ranks = new Ranks(graph, outerRanks);
    List<Set<String>> reads = new ArrayList<>(graph.getNodeCount());
    boolean sorted = true;
    for (int n = 0; n < graph.getNodeCount(); n++) {
      Set<String> nodeReads = node(graph.getNode(n), n, path, visible, ranks);
      for (String read : nodeReads) {
        Integer from = producer.get(read);
        if (from != null && !defined.contains(read) && from >= n) {
          sorted = false;
        }
      }
      reads.add(nodeReads);
    }
    for (ValueInfoProto output : graph.getOutputList()) {
      if (!visible.contains(output.getName())) {
        throw OnnxTieException.badInput(
            "graph '" + path + "': output '" + output.getName() + "' is never produced");
      }
    }
    if (!sorted) {
      checkAcyclic(graph, path, defined, producer, reads);
    }
  }

  /** The initializers' names, each named once; their tensors checked. */
  private Set<String> initializers(GraphProto graph, String path) {
    Set<String> initializers = new HashSet<>();
    for (TensorProto tensor : graph.getInitializerList()) {
      if (tensor.getName().isEmpty()) {
        throw OnnxTieException.badInput("graph '" + path + "' has an initializer without a name");
      }
      if (!initializers.add(tensor.getName())) {
        throw OnnxTieException.badInput(
            "graph '" + path + "' has two initializers named '" + tensor.getName() + "'");
      }
      tensor(tensor);
    }
    return initializers;
  }

  /** The node that writes each tensor, by index; no tensor written twice or over an initializer. */
  private static Map<String, Integer> producers(
      GraphProto graph, String path, Set<String> initializers) {
    Map<String, Integer> producer = new HashMap<>();
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      for (String output : node.getOutputList()) {
        if (output.isEmpty()) {
          continue;
        }
        if (producer.containsKey(output)) {
          throw OnnxTieException.badInput(
              "graph '"
                  + path
                  + "': two nodes write tensor '"
                  + output
                  + "' ("
                  + ProtoGraphs.nodeLabel(graph.getNode(producer.get(output)), producer.get(output))
                  + " and "
                  + ProtoGraphs.nodeLabel(node, n)
                  + ")");
        }
        if (initializers.contains(output)) {
          throw OnnxTieException.badInput(
              "graph '"
                  + path
                  + "': node "
                  + ProtoGraphs.nodeLabel(node, n)
                  + " overwrites initializer '"
                  + output
                  + "'");
        }
        producer.put(output, n);
      }
    }
    return producer;
  }

  /**
   * Checks one node (its reads, attributes, attribute tensors and subgraphs) and returns what it
   * reads of the tensors visible here, its subgraphs' reads included.
   */
  private Set<String> node(NodeProto node, int n, String path, Set<String> visible, Ranks ranks) {
    // labels are made only for messages and subgraph paths: building one per node costs start-up
    // time
    Set<String> nodeReads = new HashSet<>();
    for (String input : node.getInputList()) {
      if (input.isEmpty()) {
        continue;
      }
      if (!visible.contains(input)) {
        throw OnnxTieException.badInput(
            "graph '"
                + path
                + "': node "
                + ProtoGraphs.nodeLabel(node, n)
                + " reads undefined tensor '"
                + input
                + "'");
      }
      nodeReads.add(input);
    }
    AttributeRules.validate(node, n, path, ranks);
    AttributeRules.requireBodies(node, n, path);
    for (AttributeProto attribute : node.getAttributeList()) {
      if (attribute.hasT()) {
        tensor(attribute.getT());
      }
      for (TensorProto tensor : attribute.getTensorsList()) {
        tensor(tensor);
      }
      List<GraphProto> bodies = new ArrayList<>(attribute.getGraphsList());
      if (attribute.hasG()) {
        bodies.add(attribute.getG());
      }
      for (GraphProto body : bodies) {
        String bodyPath = path + "/" + ProtoGraphs.nodeLabel(node, n) + "." + attribute.getName();
        validate(body, bodyPath, visible, ranks);
        nodeReads.addAll(freeNames(body, visible));
      }
    }
    return nodeReads;
  }

  private void tensor(TensorProto tensor) {
    if (!checked.contains(tensor)) {
      TensorRules.validate(model, tensor);
    }
  }

  /** Kahn's algorithm over the nodes' reads: refuses a graph whose nodes cannot be ordered. */
  private static void checkAcyclic(
      GraphProto graph,
      String path,
      Set<String> defined,
      Map<String, Integer> producer,
      List<Set<String>> reads) {
    List<List<Integer>> dependents = new ArrayList<>();
    int[] pending = new int[graph.getNodeCount()];
    for (int n = 0; n < graph.getNodeCount(); n++) {
      dependents.add(new ArrayList<>());
    }
    for (int n = 0; n < graph.getNodeCount(); n++) {
      for (String read : reads.get(n)) {
        Integer from = producer.get(read);
        if (from != null && !defined.contains(read)) {
          dependents.get(from).add(n);
          pending[n]++;
        }
      }
    }
    Deque<Integer> ready = new ArrayDeque<>();
    for (int n = 0; n < pending.length; n++) {
      if (pending[n] == 0) {
        ready.add(n);
      }
    }
    int done = 0;
    while (!ready.isEmpty()) {
      int n = ready.poll();
      done++;
      for (int next : dependents.get(n)) {
        if (--pending[next] == 0) {
          ready.add(next);
        }
      }
    }
    if (done != graph.getNodeCount()) {
      for (int n = 0; n < pending.length; n++) {
        if (pending[n] > 0) {
          throw OnnxTieException.badInput(
              "graph '"
                  + path
                  + "' has a cycle through node "
                  + ProtoGraphs.nodeLabel(graph.getNode(n), n));
        }
      }
    }
  }

  /**
   * The names a subgraph reads from the scopes around it: names in {@code outer} that it or its own
   * subgraphs read without defining them first (a body may define a name of its own that an outer
   * graph also has; reads of it are local).
   */
  static Set<String> freeNames(GraphProto body, Set<String> outer) {
    Set<String> free = new HashSet<>();
    collectFree(body, outer, Set.of(), free);
    return free;
  }

  private static void collectFree(
      GraphProto graph, Set<String> outer, Set<String> enclosingLocal, Set<String> free) {
    Set<String> local = new HashSet<>(enclosingLocal);
    graph.getInputList().forEach(v -> local.add(v.getName()));
    graph.getInitializerList().forEach(t -> local.add(t.getName()));
    for (NodeProto node : graph.getNodeList()) {
      local.addAll(node.getOutputList());
    }
    for (NodeProto node : graph.getNodeList()) {
      for (String input : node.getInputList()) {
        if (outer.contains(input) && !local.contains(input)) {
          free.add(input);
        }
      }
      for (AttributeProto attribute : node.getAttributeList()) {
        if (attribute.hasG()) {
          collectFree(attribute.getG(), outer, local, free);
        }
        for (GraphProto sub : attribute.getGraphsList()) {
          collectFree(sub, outer, local, free);
        }
      }
    }
    for (ValueInfoProto output : graph.getOutputList()) {
      if (outer.contains(output.getName()) && !local.contains(output.getName())) {
        free.add(output.getName());
      }
    }
  }
}
