package dev.onnxtie.graph;

import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.OutputValidator;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A mutable copy of a model's graphs. Tensor bytes are not copied: initializers keep aliasing the
 * read file. {@link #build()} removes what the passes made unused (only what they marked), sorts
 * each graph topologically (stable: nodes already in order keep their order) and returns a new
 * model that shares the original's external data.
 */
public final class GraphEditor {
  private final OnnxModel source;
  private final Scope main;
  private final Set<String> names = new HashSet<>();
  private final Set<String> reservedByEditor = new HashSet<>();
  private final List<OperatorSetIdProto> addedOpsets = new ArrayList<>();

  /** Tensor name to the nodes (of any scope) that read it, in model order. */
  final Map<String, java.util.LinkedHashSet<Node>> readers = new HashMap<>();

  /** Tensor name to the node that writes it. */
  final Map<String, Node> producers = new HashMap<>();

  /** Outputs of every subgraph. */
  final Set<String> subgraphOutputs = new HashSet<>();

  /** Names defined in more than one scope (a subgraph reusing an enclosing graph's name). */
  private final Set<String> shadowed = new HashSet<>();

  /** Serialized bytes of the nodes, initializers and type declarations the passes added. */
  private long addedBytes;

  /** Each subgraph's reads of enclosing graphs' tensors in the model as read. */
  private final Map<Scope, Set<String>> outerReadsAsRead = new IdentityHashMap<>();

  /** Starts editing a model. */
  public GraphEditor(OnnxModel source) {
    this.source = source;
    this.main = new Scope(this, null, "main", source.proto().getGraph());
    for (Scope scope : scopes()) {
      if (scope != main) {
        outerReadsAsRead.put(scope, scope.outerReads());
      }
      if (scope != main) {
        subgraphOutputs.addAll(scope.outputNames);
      }
      for (Node node : scope.nodes) {
        index(node);
      }
      for (String name : scope.definedNames()) {
        if (!names.add(name)) {
          shadowed.add(name);
        }
      }
      names.addAll(scope.initializers.keySet());
      for (var sparse : scope.graph.getSparseInitializerList()) {
        names.add(sparse.getValues().getName());
        names.add(sparse.getIndices().getName());
      }
      names.addAll(scope.declared.keySet());
      for (Node node : scope.nodes) {
        names.addAll(node.proto.getInputList());
        names.addAll(node.proto.getOutputList());
        if (!node.name().isEmpty()) {
          names.add(node.name());
        }
      }
    }
  }

  /** Adds a node's inputs and outputs to the indexes. */
  void index(Node node) {
    for (String input : node.proto.getInputList()) {
      if (!input.isEmpty()) {
        readers.computeIfAbsent(input, k -> new java.util.LinkedHashSet<>()).add(node);
      }
    }
    for (String output : node.proto.getOutputList()) {
      if (!output.isEmpty()) {
        producers.put(output, node);
      }
    }
  }

  /** Removes a node from the indexes. */
  void unindex(Node node) {
    for (String input : node.proto.getInputList()) {
      java.util.Set<Node> set = readers.get(input);
      if (set != null) {
        set.remove(node);
      }
    }
    for (String output : node.proto.getOutputList()) {
      producers.remove(output, node);
    }
  }

  /**
   * Serialized bytes (with their field tags) of everything passes added so far: nodes,
   * initializers, value_info entries. A pass reads it before and after an edit to say what the edit
   * costs.
   */
  public long addedBytes() {
    return addedBytes;
  }

  void countAdded(com.google.protobuf.MessageLite message) {
    addedBytes += com.google.protobuf.CodedOutputStream.computeMessageSize(1, message);
  }

  /** The model being edited, as read. */
  public OnnxModel source() {
    return source;
  }

  /** The main graph. */
  public Scope main() {
    return main;
  }

  /** Every scope: the main graph first, then subgraphs depth first. */
  public List<Scope> scopes() {
    List<Scope> all = new ArrayList<>();
    collect(main, all);
    return all;
  }

  private static void collect(Scope scope, List<Scope> into) {
    into.add(scope);
    for (Node node : scope.nodes) {
      for (Scope sub : node.subgraphs) {
        collect(sub, into);
      }
    }
  }

  /** Number of model-local functions (FunctionProto), whose bodies passes do not edit. */
  public int functionCount() {
    return source.proto().getFunctionsCount();
  }

  /** Number of sparse initializers in all graphs, which passes do not edit. */
  public int sparseInitializerCount() {
    int count = 0;
    for (Scope scope : scopes()) {
      count += scope.graph.getSparseInitializerCount();
    }
    return count;
  }

  /** The model's IR version. */
  public long irVersion() {
    return source.irVersion();
  }

  /** The imported version of a domain, counting imports this editor added; -1 when none. */
  public long opsetVersion(String domain) {
    long version = source.opsetVersion(domain);
    if (version >= 0) {
      return version;
    }
    for (OperatorSetIdProto opset : addedOpsets) {
      if (OnnxModel.sameDomain(opset.getDomain(), domain)) {
        return opset.getVersion();
      }
    }
    return -1;
  }

  /** Adds an import of {@code domain} at {@code version} unless the model already imports it. */
  public void ensureOpset(String domain, long version) {
    if (opsetVersion(domain) < 0) {
      addedOpsets.add(
          OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version).build());
    }
  }

  /** A name not used anywhere in the model, derived from {@code base}; reserved from now on. */
  public String uniqueName(String base) {
    String candidate = base;
    for (int suffix = 1; names.contains(candidate); suffix++) {
      candidate = base + "_" + suffix;
    }
    reserve(candidate);
    return candidate;
  }

  /**
   * True when more than one graph defines this name (as an input, initializer or node output), so
   * that a read of it depends on the scope: passes leave such tensors alone.
   */
  public boolean isShadowed(String name) {
    return shadowed.contains(name);
  }

  /** True when some tensor or node of the model has this name. */
  public boolean isNameTaken(String name) {
    return names.contains(name);
  }

  boolean reservedByEditor(String name) {
    return reservedByEditor.contains(name);
  }

  void reserve(String name) {
    if (names.add(name)) {
      reservedByEditor.add(name);
    }
  }

  /**
   * Removes what became unused, sorts every graph and returns the edited model.
   *
   * @throws IllegalStateException when an edit created a cycle (a bug in a pass)
   * @throws dev.onnxtie.OnnxTieException (internal, exit 3) when the result fails {@link
   *     OutputValidator}
   */
  public OnnxModel build() {
    Set<String> removed = new HashSet<>();
    for (Scope scope : scopes()) {
      removed.addAll(cleanup(scope));
    }
    for (Scope scope : scopes()) {
      for (String name : removed) {
        // a subgraph's declaration of a tensor of an enclosing graph that is gone
        if (scope.declared.containsKey(name)
            && !scope.inputNames.contains(name)
            && !scope.outputNames.contains(name)) {
          scope.declared.remove(name);
          removeValueInfo(scope.graph.getValueInfoList(), name, scope.graph::removeValueInfo);
        }
      }
      if (scope != main) {
        declareNewOuterReads(scope);
      }
    }
    for (Scope scope : scopes()) {
      toposort(scope);
    }
    ModelProto.Builder model = source.proto().toBuilder().setGraph(build(main));
    model.addAllOpsetImport(addedOpsets);
    OnnxModel built = source.withProto(model.build());
    OutputValidator.validate(source, built);
    return built;
  }

  /** Removes the unused tensors a pass marked; returns the names removed. */
  private Set<String> cleanup(Scope scope) {
    Set<String> removed = new HashSet<>();
    for (String name : scope.removable) {
      if (scope.isUsed(name)) {
        continue;
      }
      if (scope.initializers.remove(name) != null) {
        if (source.irVersion() < 4 && scope.inputNames.remove(name)) {
          removeValueInfo(scope.graph.getInputList(), name, scope.graph::removeInput);
        }
        removeValueInfo(scope.graph.getValueInfoList(), name, scope.graph::removeValueInfo);
        scope.declared.remove(name);
        removed.add(name);
        continue;
      }
      // a Constant whose value was tied, or a node a pass made unused (a Transpose the Gemm form
      // replaced)
      scope
          .producer(name)
          .filter(node -> node.outputs().size() == 1 && node.subgraphs.isEmpty())
          .ifPresent(
              node -> {
                scope.removeNode(node);
                removeValueInfo(scope.graph.getValueInfoList(), name, scope.graph::removeValueInfo);
                scope.declared.remove(name);
                removed.add(name);
              });
    }
    scope.removable.clear();
    return removed;
  }

  /**
   * Declares (value_info) the type of every tensor of an enclosing graph that a subgraph reads now
   * but did not read as the model was read: a tensor an edit created or rewired it to. ONNX Runtime
   * resolves the bodies of contrib operators such as {@code com.microsoft.BeamSearch} with the
   * types the body itself declares, and refuses an outer read whose type it cannot see there.
   */
  private void declareNewOuterReads(Scope scope) {
    Set<String> before = outerReadsAsRead.getOrDefault(scope, Set.of());
    for (String name : scope.outerReads()) {
      if (!before.contains(name) && !scope.declared.containsKey(name)) {
        scope
            .parent
            .typeOf(name)
            .ifPresent(type -> scope.declare(name, type.elemType(), type.dims()));
      }
    }
  }

  private static void removeValueInfo(
      List<ValueInfoProto> values, String name, java.util.function.IntConsumer remover) {
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).getName().equals(name)) {
        remover.accept(i);
        return;
      }
    }
  }

  /**
   * Stable topological sort: each node after the producers of everything it (or its bodies) reads.
   */
  private static void toposort(Scope scope) {
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

  private static GraphProto build(Scope scope) {
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
