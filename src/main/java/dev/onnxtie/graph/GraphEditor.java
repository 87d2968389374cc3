package dev.onnxtie.graph;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.OutputValidator;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * A mutable copy of a model's graphs. Tensor bytes are not copied: initializers keep aliasing the
 * read file. {@link #build()} removes what the passes made unused (only what they marked), sorts
 * each graph topologically (stable: nodes already in order keep their order) and returns a new
 * model that shares the original's external data.
 *
 * <p>This class holds the indexes (readers, producers, names) and the build; what a subgraph reads
 * from enclosing graphs is {@code OuterReads}'s, the sorting and serializing of the scopes {@link
 * GraphAssembly}'s.
 */
public final class GraphEditor {
  private final OnnxModel source;
  private final Scope main;
  private final Set<String> names = new HashSet<>();
  private final Set<String> reservedByEditor = new HashSet<>();
  private final List<OperatorSetIdProto> addedOpsets = new ArrayList<>();

  /** Tensor name to the nodes (of any scope) that read it, in model order. */
  final Map<String, LinkedHashSet<Node>> readers = new HashMap<>();

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
        outerReadsAsRead.put(scope, OuterReads.of(scope));
      }
      if (scope != main) {
        subgraphOutputs.addAll(scope.outputNames);
      }
      for (Node node : scope.nodes) {
        index(node);
      }
      for (String name : OuterReads.definedNames(scope)) {
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
        readers.computeIfAbsent(input, k -> new LinkedHashSet<>()).add(node);
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
      Set<Node> set = readers.get(input);
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

  void countAdded(MessageLite message) {
    addedBytes += CodedOutputStream.computeMessageSize(1, message);
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
   * {@link #build()}, or the model as read when nothing {@code edited} it and a build would change
   * nothing (most models of a folder): no rebuild and no second validation of the same graph.
   */
  public OnnxModel buildIfEdited(boolean edited) {
    return edited || !unchangedByBuild() ? build() : source;
  }

  /**
   * True when {@link #build()} would return the model as read: nothing is marked for removal and
   * every graph's nodes are in an order where each reads only what an earlier node of the graph, an
   * input, an initializer or an enclosing graph defines (so sorting moves nothing).
   */
  private boolean unchangedByBuild() {
    for (Scope scope : scopes()) {
      if (!scope.removable.isEmpty() || !GraphAssembly.inOrder(scope)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Removes what became unused, sorts every graph and returns the edited model.
   *
   * @throws IllegalStateException when an edit created a cycle (a bug in a pass)
   * @throws OnnxTieException (internal, exit 3) when the result fails {@link OutputValidator}
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
        OuterReads.declareNew(scope, outerReadsAsRead.getOrDefault(scope, Set.of()));
      }
    }
    for (Scope scope : scopes()) {
      GraphAssembly.toposort(scope);
    }
    ModelProto.Builder model = source.proto().toBuilder().setGraph(GraphAssembly.build(main));
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

  private static void removeValueInfo(
      List<ValueInfoProto> values, String name, IntConsumer remover) {
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).getName().equals(name)) {
        remover.accept(i);
        return;
      }
    }
  }
}
