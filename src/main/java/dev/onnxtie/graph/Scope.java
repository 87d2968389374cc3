package dev.onnxtie.graph;

import com.google.protobuf.ByteString;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ProtoGraphs;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One graph of a model (the main graph or a subgraph), with its nodes, initializers and declared
 * types. Names are unique across the whole model, so a subgraph reads an outer tensor by name.
 *
 * <p>This class holds the graph's structure and its edits; the constant tensors it offers the
 * finder are {@code ScopeTensors}'s, the types of its values {@code ScopeTypes}'s, and what it
 * reads from enclosing graphs {@code OuterReads}'s.
 */
public final class Scope {
  final GraphEditor editor;
  final Scope parent;
  final String path;
  final int depth;

  /** Everything but nodes and initializers, which live in the lists below. */
  final GraphProto.Builder graph;

  final List<Node> nodes = new ArrayList<>();
  final LinkedHashMap<String, TensorProto> initializers = new LinkedHashMap<>();
  final Set<String> inputNames = new HashSet<>();
  final Set<String> outputNames = new HashSet<>();
  final Map<String, ValueInfoProto> declared = new LinkedHashMap<>();

  /** Names whose definition the cleanup removes once nothing reads them. */
  final Set<String> removable = new HashSet<>();

  Scope(GraphEditor editor, Scope parent, String path, GraphProto proto) {
    this.editor = editor;
    this.parent = parent;
    this.path = path;
    this.depth = parent == null ? 0 : parent.depth + 1;
    this.graph = proto.toBuilder().clearNode().clearInitializer();
    for (TensorProto tensor : proto.getInitializerList()) {
      initializers.put(tensor.getName(), tensor);
    }
    for (ValueInfoProto value : proto.getInputList()) {
      inputNames.add(value.getName());
      declared.put(value.getName(), value);
    }
    for (ValueInfoProto value : proto.getOutputList()) {
      outputNames.add(value.getName());
      declared.putIfAbsent(value.getName(), value);
    }
    for (ValueInfoProto value : proto.getValueInfoList()) {
      declared.putIfAbsent(value.getName(), value);
    }
    for (int n = 0; n < proto.getNodeCount(); n++) {
      NodeProto nodeProto = proto.getNode(n);
      Node node = new Node(nodeProto.toBuilder(), this);
      String label = ProtoGraphs.nodeLabel(nodeProto, n);
      for (AttributeProto attribute : nodeProto.getAttributeList()) {
        if (attribute.hasG()) {
          node.subgraphs.add(
              new Scope(
                  editor, this, path + "/" + label + "." + attribute.getName(), attribute.getG()));
        }
        for (int g = 0; g < attribute.getGraphsCount(); g++) {
          node.subgraphs.add(
              new Scope(
                  editor,
                  this,
                  path + "/" + label + "." + attribute.getName() + "[" + g + "]",
                  attribute.getGraphs(g)));
        }
      }
      nodes.add(node);
    }
  }

  /** A readable path such as {@code main} or {@code main/If_0.then_branch}. */
  public String path() {
    return path;
  }

  /** 0 for the main graph, 1 for its subgraphs, and so on. */
  public int depth() {
    return depth;
  }

  /** The editor this scope belongs to. */
  public GraphEditor editor() {
    return editor;
  }

  /** The nodes in their current order. */
  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  /**
   * True when {@code this} is {@code other} or encloses it, so that {@code other} sees its names.
   */
  public boolean encloses(Scope other) {
    for (Scope walk = other; walk != null; walk = walk.parent) {
      if (walk == this) {
        return true;
      }
    }
    return false;
  }

  /** True when the name is an input of this graph. */
  public boolean isGraphInput(String name) {
    return inputNames.contains(name);
  }

  /** True when the name is an output of this graph. */
  public boolean isGraphOutput(String name) {
    return outputNames.contains(name);
  }

  /** The graph's input names, in order. */
  public List<String> inputNames() {
    return graph.getInputList().stream().map(ValueInfoProto::getName).toList();
  }

  /** The graph's output names, in order. */
  public List<String> outputNames() {
    return graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
  }

  /** True when an initializer of this scope has the name. */
  public boolean hasInitializer(String name) {
    return initializers.containsKey(name);
  }

  /**
   * The type of a value visible here: declared (input, output, value_info), an initializer's or a
   * Constant's.
   */
  public Optional<TensorType> typeOf(String name) {
    return ScopeTypes.typeOf(this, name);
  }

  /** The constant tensors this scope defines: initializers, then Constant-node values. */
  public List<TensorSource> tensorSources() {
    return ScopeTensors.of(this);
  }

  /** The initializer of that name as a tensor source, if this scope has it. */
  public Optional<TensorSource> initializer(String name) {
    return ScopeTensors.initializer(this, name);
  }

  /** The node that writes {@code name} in this scope, if any. */
  public Optional<Node> producer(String name) {
    Node node = editor.producers.get(name);
    return node != null && node.scope == this ? Optional.of(node) : Optional.empty();
  }

  /** Nodes of this scope and of its subgraphs, depth first, in order. */
  public List<Node> allNodes() {
    List<Node> all = new ArrayList<>();
    for (Node node : nodes) {
      all.add(node);
      for (Scope sub : node.subgraphs) {
        all.addAll(sub.allNodes());
      }
    }
    return all;
  }

  /** The nodes in this scope and its subgraphs that read {@code name} (from the editor's index). */
  public List<Node> readers(String name) {
    List<Node> readers = new ArrayList<>();
    for (Node node : editor.readers.getOrDefault(name, new LinkedHashSet<>())) {
      if (encloses(node.scope)) {
        readers.add(node);
      }
    }
    return readers;
  }

  /** True when some subgraph of the model lists {@code name} as one of its outputs. */
  boolean isSubgraphOutput(String name) {
    return editor.subgraphOutputs.contains(name);
  }

  /** True when the name is read anywhere in this scope or below, or is an output here or below. */
  boolean isUsed(String name) {
    return isGraphOutput(name) || isSubgraphOutput(name) || !readers(name).isEmpty();
  }

  /** Replaces every use of {@code from} as a node input in this scope and below with {@code to}. */
  public int rewire(String from, String to) {
    int count = 0;
    for (Node node : readers(from)) {
      editor.unindex(node);
      for (int i = 0; i < node.proto.getInputCount(); i++) {
        if (node.proto.getInput(i).equals(from)) {
          node.proto.setInput(i, to);
          count++;
        }
      }
      editor.index(node);
    }
    return count;
  }

  /**
   * Adds a default-domain node at {@code index} of this scope's node list.
   *
   * @return the new node
   */
  public Node addNode(
      int index,
      String opType,
      String name,
      List<String> inputs,
      List<String> outputs,
      Attribute... attributes) {
    NodeProto.Builder proto =
        NodeProto.newBuilder()
            .setOpType(opType)
            .setName(editor.uniqueName(name))
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (Attribute attribute : attributes) {
      proto.addAttribute(attribute.proto);
    }
    for (String output : outputs) {
      editor.reserve(output);
    }
    Node node = new Node(proto, this);
    editor.countAdded(proto.build());
    nodes.add(index, node);
    editor.index(node);
    return node;
  }

  /** The position of a node of this scope. */
  public int indexOf(Node node) {
    int index = nodes.indexOf(node);
    if (index < 0) {
      throw new IllegalArgumentException("node " + node.label() + " is not in scope " + path);
    }
    return index;
  }

  /** Removes a node of this scope that a pass replaced; its outputs must be rewritten by others. */
  public void removeNode(Node node) {
    if (!nodes.remove(node)) {
      throw new IllegalArgumentException("node " + node.label() + " is not in scope " + path);
    }
    editor.unindex(node);
  }

  /** Declares the type of a new value of this scope (value_info). */
  public void declare(String name, int elemType, List<Object> dims) {
    if (declared.containsKey(name)) {
      return;
    }
    ValueInfoProto value = ScopeTypes.valueInfo(name, elemType, dims);
    declared.put(name, value);
    graph.addValueInfo(value);
    editor.countAdded(value);
  }

  /** Adds an initializer (e.g. a new bias) with raw little-endian bytes. */
  public void addInitializer(String name, DataType type, long[] dims, byte[] raw) {
    if (editor.isNameTaken(name) && !editor.reservedByEditor(name)) {
      throw OnnxTieException.badInput("a tensor named '" + name + "' already exists");
    }
    editor.reserve(name);
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(type.code())
            .setRawData(ByteString.copyFrom(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    initializers.put(name, tensor.build());
    editor.countAdded(initializers.get(name));
    if (editor.irVersion() < 4) {
      // IR 3 lists every initializer among the graph inputs
      ValueInfoProto input = ScopeTypes.valueInfo(name, type.code(), dims);
      graph.addInput(input);
      inputNames.add(name);
      declared.put(name, input);
    }
  }

  /** Adds a graph output with the given type. The name must already be produced in this scope. */
  public void addOutput(String name, int elemType, List<Object> dims) {
    if (outputNames.contains(name)) {
      throw OnnxTieException.badInput("the graph already has an output named '" + name + "'");
    }
    declare(name, elemType, dims);
    ValueInfoProto value = declared.get(name);
    graph.addOutput(value);
    outputNames.add(name);
    for (int i = 0; i < graph.getValueInfoCount(); i++) {
      if (graph.getValueInfo(i).getName().equals(name)) {
        graph.removeValueInfo(i);
        break;
      }
    }
  }

  /**
   * Marks a tensor this scope defines (initializer, or the output of a single-output node such as a
   * Constant) for removal by the editor's cleanup, which removes it (and the node) only if nothing
   * reads it any more and it is no graph output.
   */
  public void markRemovable(String name) {
    removable.add(name);
  }

  /**
   * Replaces the definition of {@code name} in this scope (an initializer, or the Constant node
   * that writes it) by a node {@code opType(inputs) -> name}: a graph output that duplicates
   * another tensor keeps its name and its readers, and its bytes are gone.
   *
   * @return the new node
   * @throws IllegalArgumentException when this scope defines no such tensor
   */
  public Node redefine(String name, String opType, List<String> inputs, Attribute... attributes) {
    if (initializers.remove(name) != null) {
      if (editor.irVersion() < 4 && inputNames.remove(name)) {
        for (int i = 0; i < graph.getInputCount(); i++) {
          if (graph.getInput(i).getName().equals(name)) {
            graph.removeInput(i);
            break;
          }
        }
      }
    } else {
      Node constant =
          producer(name)
              .filter(node -> node.constantTensor().isPresent())
              .orElseThrow(
                  () -> new IllegalArgumentException(name + " is no constant of scope " + path));
      removeNode(constant);
    }
    return addNode(0, opType, opType + "_" + name, inputs, List.of(name), attributes);
  }

  /**
   * Turns the Constant node that writes {@code name} (a {@code value} tensor) into an initializer
   * of the same name and bytes, as ONNX Runtime does at load: initializers can be stored in
   * external data, so that a copy in another model file is stored once.
   *
   * @return true when it was a Constant of this scope
   */
  public boolean constantToInitializer(String name) {
    Optional<Node> constant = producer(name).filter(node -> node.outputs().size() == 1);
    Optional<TensorProto> value = constant.flatMap(Node::constantTensor);
    if (value.isEmpty() || editor.irVersion() < 4) {
      return false;
    }
    removeNode(constant.get());
    initializers.put(name, value.get().toBuilder().setName(name).build());
    return true;
  }

  /** True when a graph input or output of any scope up to the main graph has this name. */
  public boolean isInterface(String name) {
    for (Scope scope = this; scope != null; scope = scope.parent) {
      if (scope.isGraphOutput(name) || scope.isSubgraphOutput(name)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return path;
  }
}
