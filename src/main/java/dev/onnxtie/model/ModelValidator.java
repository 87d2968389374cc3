package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.AttributeProto.AttributeType;
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
 * allocation), tensors holding data in more than one field, unsafe external data, undefined or
 * doubly-defined tensors, cycles, control-flow nodes without their bodies, an IR version newer than
 * this tool knows, repeated attributes, attributes of the wrong type on the operators the tool
 * reads or writes, and Transpose perms that are no permutation of the input's axes.
 */
public final class ModelValidator {
  private ModelValidator() {}

  /** The newest IR version this tool knows: the one of the schema it is built from. */
  public static final long NEWEST_IR_VERSION = Onnx.Version.IR_VERSION_VALUE;

  /** The attribute types of the operators the tool reads or writes, by domain then op type. */
  private static final Map<String, Map<String, Map<String, AttributeType>>> ATTRIBUTE_TYPES =
      Map.of(
          "",
              Map.of(
                  "Gemm",
                      Map.of(
                          "transA",
                          AttributeType.INT,
                          "transB",
                          AttributeType.INT,
                          "alpha",
                          AttributeType.FLOAT,
                          "beta",
                          AttributeType.FLOAT),
                  "Transpose", Map.of("perm", AttributeType.INTS),
                  "Gather", Map.of("axis", AttributeType.INT),
                  "GatherElements", Map.of("axis", AttributeType.INT),
                  "Reshape", Map.of("allowzero", AttributeType.INT),
                  // saturate since opset 19, round_mode (to float8e8m0) since opset 25
                  "Cast",
                      Map.of(
                          "to",
                          AttributeType.INT,
                          "saturate",
                          AttributeType.INT,
                          "round_mode",
                          AttributeType.STRING),
                  "If",
                      Map.of(
                          "then_branch", AttributeType.GRAPH, "else_branch", AttributeType.GRAPH),
                  "Loop", Map.of("body", AttributeType.GRAPH),
                  "Scan",
                      Map.of(
                          "body",
                          AttributeType.GRAPH,
                          "num_scan_inputs",
                          AttributeType.INT,
                          "scan_input_axes",
                          AttributeType.INTS,
                          "scan_input_directions",
                          AttributeType.INTS,
                          "scan_output_axes",
                          AttributeType.INTS,
                          "scan_output_directions",
                          AttributeType.INTS)),
          "com.microsoft",
              Map.of(
                  "MatMulNBits",
                      Map.of(
                          "K",
                          AttributeType.INT,
                          "N",
                          AttributeType.INT,
                          "bits",
                          AttributeType.INT,
                          "block_size",
                          AttributeType.INT,
                          "accuracy_level",
                          AttributeType.INT),
                  "GatherBlockQuantized",
                      Map.of(
                          "gather_axis",
                          AttributeType.INT,
                          "quantize_axis",
                          AttributeType.INT,
                          "block_size",
                          AttributeType.INT,
                          "bits",
                          AttributeType.INT)));

  /** Nodes whose subgraph attributes are required. */
  private static final Map<String, List<String>> REQUIRED_BODIES =
      Map.of(
          "If",
          List.of("then_branch", "else_branch"),
          "Loop",
          List.of("body"),
          "Scan",
          List.of("body"));

  /**
   * Validates a model.
   *
   * @throws OnnxTieException (bad input) for the first problem found
   */
  public static void validate(OnnxModel model) {
    validate(model, Set.of());
  }

  /**
   * Validates a model whose tensors in {@code checked} (compared by identity: the very objects)
   * passed {@link #validateTensor} before, in a model with the same external data: their checks are
   * skipped. An edited model carries over most tensors of the model it was made from.
   */
  static void validate(OnnxModel model, Set<TensorProto> checked) {
    ModelProto proto = model.proto();
    if (!proto.hasGraph()) {
      throw OnnxTieException.badInput("not an ONNX model: it has no graph");
    }
    if (proto.getIrVersion() <= 0) {
      throw OnnxTieException.badInput(
          "not an ONNX model: ir_version is missing or " + proto.getIrVersion());
    }
    if (proto.getIrVersion() > NEWEST_IR_VERSION && !NewerIr.allowed()) {
      throw OnnxTieException.badInput(
          "the model's ir_version "
              + proto.getIrVersion()
              + " is newer than the newest this tool knows ("
              + NEWEST_IR_VERSION
              + "); --allow-newer-ir goes on (keeping all it does not know, tying no tensor of a dtype it does not "
              + "know), or use a newer onnx-tie or export with an older IR version");
    }
    boolean hasDefault = false;
    for (OperatorSetIdProto opset : proto.getOpsetImportList()) {
      if (OnnxModel.sameDomain(opset.getDomain(), "")) {
        hasDefault = true;
      }
    }
    boolean usesDefault = usesDefaultDomain(proto.getGraph());
    if (!hasDefault && usesDefault) {
      throw OnnxTieException.badInput(
          "the model imports no default-domain (ai.onnx) opset; add one to opset_import");
    }
    validateGraph(model, checked, proto.getGraph(), "main", Set.of(), null);
  }

  /**
   * The tensors of a model's graphs (initializers and attribute tensors, in subgraphs too), by
   * identity.
   */
  static Set<TensorProto> tensors(OnnxModel model) {
    Set<TensorProto> tensors =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    ProtoGraphs.visit(
        model.proto().getGraph(),
        "main",
        0,
        (path, depth, graph) -> {
          tensors.addAll(graph.getInitializerList());
          tensors.addAll(ProtoGraphs.attributeTensors(graph));
        });
    return tensors;
  }

  private static boolean usesDefaultDomain(GraphProto graph) {
    boolean[] uses = {false};
    ProtoGraphs.visit(
        graph,
        "main",
        0,
        (path, depth, g) -> {
          for (NodeProto node : g.getNodeList()) {
            if (OnnxModel.sameDomain(node.getDomain(), "")) {
              uses[0] = true;
            }
          }
        });
    return uses[0];
  }

  private static void validateGraph(
      OnnxModel model,
      Set<TensorProto> checked,
      GraphProto graph,
      String path,
      Set<String> outer,
      Ranks outerRanks) {
    Set<String> defined = new HashSet<>(outer);
    Ranks ranks = new Ranks(graph, outerRanks);
    Set<String> initializers = new HashSet<>();
    for (TensorProto tensor : graph.getInitializerList()) {
      if (tensor.getName().isEmpty()) {
        throw OnnxTieException.badInput("graph '" + path + "' has an initializer without a name");
      }
      if (!initializers.add(tensor.getName())) {
        throw OnnxTieException.badInput(
            "graph '" + path + "' has two initializers named '" + tensor.getName() + "'");
      }
      if (!checked.contains(tensor)) {
        validateTensor(model, tensor);
      }
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
    Set<String> visible = new HashSet<>(defined);
    visible.addAll(producer.keySet());
    // the reads of each node on producers of this graph, subgraph reads included; a node that reads
    // a
    // later node's output (or its own) makes the order no topological one, and only then is the
    // graph searched for a cycle (exported graphs are sorted: most never are)
    List<Set<String>> reads = new ArrayList<>(graph.getNodeCount());
    boolean sorted = true;
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
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
      validateAttributes(node, n, path, ranks);
      List<String> required = REQUIRED_BODIES.get(node.getOpType());
      if (required != null && OnnxModel.sameDomain(node.getDomain(), "")) {
        for (String body : required) {
          boolean present =
              node.getAttributeList().stream().anyMatch(a -> a.getName().equals(body) && a.hasG());
          if (!present) {
            throw OnnxTieException.badInput(
                "graph '"
                    + path
                    + "': node "
                    + ProtoGraphs.nodeLabel(node, n)
                    + " ("
                    + node.getOpType()
                    + ") has no "
                    + body
                    + " graph");
          }
        }
      }
      for (AttributeProto attribute : node.getAttributeList()) {
        if (attribute.hasT() && !checked.contains(attribute.getT())) {
          validateTensor(model, attribute.getT());
        }
        for (TensorProto tensor : attribute.getTensorsList()) {
          if (!checked.contains(tensor)) {
            validateTensor(model, tensor);
          }
        }
        List<GraphProto> bodies = new ArrayList<>(attribute.getGraphsList());
        if (attribute.hasG()) {
          bodies.add(attribute.getG());
        }
        for (GraphProto body : bodies) {
          String bodyPath = path + "/" + ProtoGraphs.nodeLabel(node, n) + "." + attribute.getName();
          validateGraph(model, checked, body, bodyPath, visible, ranks);
          nodeReads.addAll(freeNames(body, visible));
        }
      }
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
   * The ranks a graph knows: of its initializers and of its declared values with a shape, over the
   * outer ones. Collected on the first question (only Transpose perms ask).
   */
  private static final class Ranks {
    private final GraphProto graph;
    private final Ranks outer;
    private Map<String, Integer> own;

    Ranks(GraphProto graph, Ranks outer) {
      this.graph = graph;
      this.outer = outer;
    }

    Integer get(String name) {
      if (own == null) {
        own = new HashMap<>();
        List<ValueInfoProto> values = new ArrayList<>(graph.getInputList());
        values.addAll(graph.getOutputList());
        values.addAll(graph.getValueInfoList());
        for (ValueInfoProto value : values) {
          if (value.getType().hasTensorType() && value.getType().getTensorType().hasShape()) {
            own.put(value.getName(), value.getType().getTensorType().getShape().getDimCount());
          }
        }
        for (TensorProto tensor : graph.getInitializerList()) {
          own.put(tensor.getName(), tensor.getDimsCount());
        }
      }
      Integer rank = own.get(name);
      return rank != null || outer == null ? rank : outer.get(name);
    }
  }

  /**
   * Refuses a repeated attribute name, an attribute of the wrong type on an operator the tool reads
   * or writes, and a Transpose perm that is no permutation of 0..rank-1.
   */
  private static void validateAttributes(NodeProto node, int index, String path, Ranks ranks) {
    if (node.getAttributeCount() == 0) {
      return;
    }
    String where =
        "graph '"
            + path
            + "': node "
            + ProtoGraphs.nodeLabel(node, index)
            + " ("
            + node.getOpType()
            + ")";
    Set<String> names = new HashSet<>();
    for (AttributeProto attribute : node.getAttributeList()) {
      if (!names.add(attribute.getName())) {
        throw OnnxTieException.badInput(
            where + " has attribute '" + attribute.getName() + "' twice");
      }
    }
    String domain = OnnxModel.sameDomain(node.getDomain(), "") ? "" : node.getDomain();
    Map<String, AttributeType> expected =
        ATTRIBUTE_TYPES.getOrDefault(domain, Map.of()).getOrDefault(node.getOpType(), Map.of());
    for (AttributeProto attribute : node.getAttributeList()) {
      AttributeType wanted = expected.get(attribute.getName());
      if (wanted == null) {
        continue;
      }
      AttributeType held = heldType(attribute);
      if (held != wanted) {
        throw OnnxTieException.badInput(
            where
                + ": attribute '"
                + attribute.getName()
                + "' must be "
                + wanted
                + ", found "
                + (held == null ? "no value" : held.toString()));
      }
    }
    if (node.getOpType().equals("Transpose") && domain.isEmpty()) {
      for (AttributeProto attribute : node.getAttributeList()) {
        if (attribute.getName().equals("perm")) {
          Integer rank = node.getInputCount() > 0 ? ranks.get(node.getInput(0)) : null;
          checkPermutation(attribute.getIntsList(), rank, where);
        }
      }
    }
  }

  /**
   * The type an attribute holds: its declared type, which must agree with the one value field it
   * sets; null when the declared type is missing and no value is set, or they disagree.
   */
  private static AttributeType heldType(AttributeProto attribute) {
    List<AttributeType> set = new ArrayList<>();
    if (attribute.hasF()) {
      set.add(AttributeType.FLOAT);
    }
    if (attribute.hasI()) {
      set.add(AttributeType.INT);
    }
    if (attribute.hasS()) {
      set.add(AttributeType.STRING);
    }
    if (attribute.hasT()) {
      set.add(AttributeType.TENSOR);
    }
    if (attribute.hasG()) {
      set.add(AttributeType.GRAPH);
    }
    if (attribute.getFloatsCount() > 0) {
      set.add(AttributeType.FLOATS);
    }
    if (attribute.getIntsCount() > 0) {
      set.add(AttributeType.INTS);
    }
    if (attribute.getStringsCount() > 0) {
      set.add(AttributeType.STRINGS);
    }
    if (attribute.getTensorsCount() > 0) {
      set.add(AttributeType.TENSORS);
    }
    if (attribute.getGraphsCount() > 0) {
      set.add(AttributeType.GRAPHS);
    }
    AttributeType declared =
        attribute.hasType() && attribute.getType() != AttributeType.UNDEFINED
            ? attribute.getType()
            : null;
    if (set.size() > 1) {
      return null;
    }
    if (declared == null) {
      return set.isEmpty() ? null : set.get(0);
    }
    // an empty list (INTS with no values) sets no field
    return set.isEmpty() || set.get(0) == declared ? declared : null;
  }

  private static void checkPermutation(List<Long> perm, Integer rank, String where) {
    int size = rank != null ? rank : perm.size();
    boolean[] seen = new boolean[Math.max(size, 0)];
    boolean valid = perm.size() == size;
    for (long axis : perm) {
      if (!valid || axis < 0 || axis >= size || seen[(int) axis]) {
        valid = false;
        break;
      }
      seen[(int) axis] = true;
    }
    if (!valid) {
      throw OnnxTieException.badInput(
          where
              + ": perm "
              + perm
              + " is not a permutation of 0.."
              + (size - 1)
              + (rank != null ? " (the input has rank " + rank + ")" : ""));
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

  /**
   * Checks one tensor's type, dims and stored size; external data is located and bounds-checked.
   */
  static void validateTensor(OnnxModel model, TensorProto tensor) {
    List<String> fields = dataFields(tensor);
    if (fields.size() > 1) {
      throw OnnxTieException.badInput(
          "tensor '"
              + tensor.getName()
              + "' holds data in more than one field ("
              + String.join(", ", fields)
              + "); a tensor stores its data in exactly one");
    }
    int code = tensor.getDataType();
    if (!DataType.isKnown(code) && code > 0 && NewerIr.allowed()) {
      return; // a dtype of a newer IR: carried along as it is, never read
    }
    if (!DataType.isKnown(code) || code == 0) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' has unknown data_type " + code);
    }
    DataType type = DataType.fromCode(code);
    long elements = Tensors.elementCount(tensor.getName(), Tensors.dims(tensor));
    if (type == DataType.STRING) {
      if (tensor.getStringDataCount() != elements) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + tensor.getStringDataCount()
                + " strings but its dims need "
                + elements);
      }
      return;
    }
    long expected;
    try {
      expected = type.byteSize(elements);
    } catch (ArithmeticException e) {
      throw OnnxTieException.badInput(
          "tensor '" + tensor.getName() + "' claims a size that overflows 64 bits");
    }
    if (Tensors.isExternal(tensor)) {
      model.externalData().locate(tensor);
    } else if (tensor.hasRawData()) {
      if (tensor.getRawData().size() != expected) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + tensor.getRawData().size()
                + " bytes of raw_data but its dims "
                + Tensors.shapeText(Tensors.dims(tensor))
                + " and dtype "
                + type.onnxName()
                + " need "
                + expected);
      }
    } else {
      long present = Tensors.typedValueCount(tensor, type);
      long needed = Tensors.expectedTypedValues(type, elements);
      if (present != needed) {
        throw OnnxTieException.badInput(
            "tensor '"
                + tensor.getName()
                + "' has "
                + present
                + " typed values but its dims "
                + Tensors.shapeText(Tensors.dims(tensor))
                + " and dtype "
                + type.onnxName()
                + " need "
                + needed);
      }
    }
  }

  /** The data fields a tensor sets: raw_data, the typed fields, external data. */
  private static List<String> dataFields(TensorProto tensor) {
    List<String> fields = new ArrayList<>();
    if (tensor.hasRawData()) {
      fields.add("raw_data");
    }
    if (tensor.getFloatDataCount() > 0) {
      fields.add("float_data");
    }
    if (tensor.getInt32DataCount() > 0) {
      fields.add("int32_data");
    }
    if (tensor.getStringDataCount() > 0) {
      fields.add("string_data");
    }
    if (tensor.getInt64DataCount() > 0) {
      fields.add("int64_data");
    }
    if (tensor.getDoubleDataCount() > 0) {
      fields.add("double_data");
    }
    if (tensor.getUint64DataCount() > 0) {
      fields.add("uint64_data");
    }
    if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      fields.add("external_data");
    }
    return fields;
  }
}
