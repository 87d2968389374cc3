package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
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
 * Checks a parsed model before anything else touches it, so that hostile or broken files fail with
 * one line that names the problem: a missing graph or default opset, tensors whose stored bytes
 * disagree with their dims and dtype (sizes checked with overflow-safe arithmetic before any
 * allocation), unsafe external data, undefined or doubly-defined tensors, cycles, and control-flow
 * nodes without their bodies.
 */
public final class ModelValidator {
  private ModelValidator() {}

  /** Nodes whose subgraph attributes are required. */
  private static final Map<String, List<String>> REQUIRED_BODIES =
      Map.of("If", List.of("then_branch", "else_branch"), "Loop", List.of("body"), "Scan", List.of("body"));

  /**
   * Validates a model.
   *
   * @throws OnnxTieException (bad input) for the first problem found
   */
  public static void validate(OnnxModel model) {
    ModelProto proto = model.proto();
    if (!proto.hasGraph()) {
      throw OnnxTieException.badInput("not an ONNX model: it has no graph");
    }
    if (proto.getIrVersion() <= 0) {
      throw OnnxTieException.badInput("not an ONNX model: ir_version is missing or " + proto.getIrVersion());
    }
    boolean hasDefault = false;
    for (OperatorSetIdProto opset : proto.getOpsetImportList()) {
      if (OnnxModel.sameDomain(opset.getDomain(), "")) {
        hasDefault = true;
      }
    }
    boolean usesDefault = usesDefaultDomain(proto.getGraph());
    if (!hasDefault && usesDefault) {
      throw OnnxTieException.badInput("the model imports no default-domain (ai.onnx) opset; add one to opset_import");
    }
    validateGraph(model, proto.getGraph(), "main", Set.of());
  }

  private static boolean usesDefaultDomain(GraphProto graph) {
    boolean[] uses = {false};
    ProtoGraphs.visit(graph, "main", 0, (path, depth, g) -> {
      for (NodeProto node : g.getNodeList()) {
        if (OnnxModel.sameDomain(node.getDomain(), "")) {
          uses[0] = true;
        }
      }
    });
    return uses[0];
  }

  private static void validateGraph(OnnxModel model, GraphProto graph, String path, Set<String> outer) {
    Set<String> defined = new HashSet<>(outer);
    Set<String> initializers = new HashSet<>();
    for (TensorProto tensor : graph.getInitializerList()) {
      if (tensor.getName().isEmpty()) {
        throw OnnxTieException.badInput("graph '" + path + "' has an initializer without a name");
      }
      if (!initializers.add(tensor.getName())) {
        throw OnnxTieException.badInput("graph '" + path + "' has two initializers named '" + tensor.getName() + "'");
      }
      validateTensor(model, tensor);
      defined.add(tensor.getName());
    }
    for (var sparse : graph.getSparseInitializerList()) {
      defined.add(sparse.getValues().getName());
    }
    for (ValueInfoProto input : graph.getInputList()) {
      defined.add(input.getName());
    }
    Map<String, Integer> producer = new HashMap<>();
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      for (String output : node.getOutputList()) {
        if (output.isEmpty()) {
          continue;
        }
        if (producer.containsKey(output)) {
          throw OnnxTieException.badInput(
              "graph '" + path + "': two nodes write tensor '" + output + "' ("
                  + ProtoGraphs.nodeLabel(graph.getNode(producer.get(output)), producer.get(output)) + " and "
                  + ProtoGraphs.nodeLabel(node, n) + ")");
        }
        if (initializers.contains(output)) {
          throw OnnxTieException.badInput("graph '" + path + "': node " + ProtoGraphs.nodeLabel(node, n) + " overwrites initializer '" + output + "'");
        }
        producer.put(output, n);
      }
    }
    Set<String> visible = new HashSet<>(defined);
    visible.addAll(producer.keySet());
    List<List<Integer>> dependents = new ArrayList<>();
    int[] pending = new int[graph.getNodeCount()];
    for (int n = 0; n < graph.getNodeCount(); n++) {
      dependents.add(new ArrayList<>());
    }
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      String label = ProtoGraphs.nodeLabel(node, n);
      Set<String> reads = new HashSet<>();
      for (String input : node.getInputList()) {
        if (input.isEmpty()) {
          continue;
        }
        if (!visible.contains(input)) {
          throw OnnxTieException.badInput("graph '" + path + "': node " + label + " reads undefined tensor '" + input + "'");
        }
        reads.add(input);
      }
      List<String> required = REQUIRED_BODIES.get(node.getOpType());
      if (required != null && OnnxModel.sameDomain(node.getDomain(), "")) {
        for (String body : required) {
          boolean present = node.getAttributeList().stream().anyMatch(a -> a.getName().equals(body) && a.hasG());
          if (!present) {
            throw OnnxTieException.badInput("graph '" + path + "': node " + label + " (" + node.getOpType() + ") has no " + body + " graph");
          }
        }
      }
      for (AttributeProto attribute : node.getAttributeList()) {
        if (attribute.hasT()) {
          validateTensor(model, attribute.getT());
        }
        for (TensorProto tensor : attribute.getTensorsList()) {
          validateTensor(model, tensor);
        }
        List<GraphProto> bodies = new ArrayList<>(attribute.getGraphsList());
        if (attribute.hasG()) {
          bodies.add(attribute.getG());
        }
        for (GraphProto body : bodies) {
          String bodyPath = path + "/" + label + "." + attribute.getName();
          validateGraph(model, body, bodyPath, visible);
          reads.addAll(freeNames(body, visible));
        }
      }
      for (String read : reads) {
        Integer from = producer.get(read);
        if (from != null && !defined.contains(read)) {
          dependents.get(from).add(n);
          pending[n]++;
        }
      }
    }
    for (ValueInfoProto output : graph.getOutputList()) {
      if (!visible.contains(output.getName())) {
        throw OnnxTieException.badInput("graph '" + path + "': output '" + output.getName() + "' is never produced");
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
          throw OnnxTieException.badInput("graph '" + path + "' has a cycle through node " + ProtoGraphs.nodeLabel(graph.getNode(n), n));
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

  private static void collectFree(GraphProto graph, Set<String> outer, Set<String> enclosingLocal, Set<String> free) {
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

  /** Checks one tensor's type, dims and stored size; external data is located and bounds-checked. */
  static void validateTensor(OnnxModel model, TensorProto tensor) {
    int code = tensor.getDataType();
    if (!DataType.isKnown(code) || code == 0) {
      throw OnnxTieException.badInput("tensor '" + tensor.getName() + "' has unknown data_type " + code);
    }
    DataType type = DataType.fromCode(code);
    long elements = Tensors.elementCount(tensor.getName(), Tensors.dims(tensor));
    if (type == DataType.STRING) {
      if (tensor.getStringDataCount() != elements) {
        throw OnnxTieException.badInput(
            "tensor '" + tensor.getName() + "' has " + tensor.getStringDataCount() + " strings but its dims need " + elements);
      }
      return;
    }
    long expected;
    try {
      expected = type.byteSize(elements);
    } catch (ArithmeticException e) {
      throw OnnxTieException.badInput("tensor '" + tensor.getName() + "' claims a size that overflows 64 bits");
    }
    if (Tensors.isExternal(tensor)) {
      model.externalData().locate(tensor);
    } else if (tensor.hasRawData()) {
      if (tensor.getRawData().size() != expected) {
        throw OnnxTieException.badInput(
            "tensor '" + tensor.getName() + "' has " + tensor.getRawData().size() + " bytes of raw_data but its dims "
                + Tensors.shapeText(Tensors.dims(tensor)) + " and dtype " + type.onnxName() + " need " + expected);
      }
    } else {
      long present = Tensors.typedValueCount(tensor, type);
      long needed = Tensors.expectedTypedValues(type, elements);
      if (present != needed) {
        throw OnnxTieException.badInput(
            "tensor '" + tensor.getName() + "' has " + present + " typed values but its dims "
                + Tensors.shapeText(Tensors.dims(tensor)) + " and dtype " + type.onnxName() + " need " + needed);
      }
    }
  }
}
