package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.AttributeProto.AttributeType;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The attribute rules of {@link ModelValidator}: no repeated attribute, the right attribute types
 * on the operators the tool reads or writes, control-flow nodes with their bodies, and Transpose
 * perms that are a permutation of the input's axes (ranks from {@link Ranks}).
 */
final class AttributeRules {
  private AttributeRules() {}

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

  /** Refuses a control-flow node (If, Loop, Scan) of the default domain without its bodies. */
  static void requireBodies(NodeProto node, int n, String path) {
    List<String> required = REQUIRED_BODIES.get(node.getOpType());
    if (required == null || !OnnxModel.sameDomain(node.getDomain(), "")) {
      return;
    }
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

  /**
   * The ranks a graph knows: of its initializers and of its declared values with a shape, over the
   * outer ones. Collected on the first question (only Transpose perms ask).
   */
  static final class Ranks {
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
  static void validate(NodeProto node, int index, String path, Ranks ranks) {
    if (node.getAttributeCount() == 0) {
      return;
    }
    // the label goes into messages only: made on a failure, not for every node
    Supplier<String> where =
        () ->
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
            where.get() + " has attribute '" + attribute.getName() + "' twice");
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
            where.get()
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

  private static void checkPermutation(List<Long> perm, Integer rank, Supplier<String> where) {
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
          where.get()
              + ": perm "
              + perm
              + " is not a permutation of 0.."
              + (size - 1)
              + (rank != null ? " (the input has rank " + rank + ")" : ""));
    }
  }
}
