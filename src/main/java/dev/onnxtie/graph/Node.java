package dev.onnxtie.graph;

import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** A node of a {@link Scope}, read through accessors; changed only through its scope's methods. */
public final class Node {
  final NodeProto.Builder proto;
  final Scope scope;

  /** Subgraphs of this node, in attribute order. */
  final List<Scope> subgraphs = new ArrayList<>();

  Node(NodeProto.Builder proto, Scope scope) {
    this.proto = proto;
    this.scope = scope;
  }

  /** The node's name (may be empty). */
  public String name() {
    return proto.getName();
  }

  /** A readable label: the name, or the op type when the node has none. */
  public String label() {
    return proto.getName().isEmpty()
        ? proto.getOpType() + "(" + String.join(",", proto.getOutputList()) + ")"
        : proto.getName();
  }

  /** The operator type. */
  public String opType() {
    return proto.getOpType();
  }

  /** The operator domain ("" for the default). */
  public String domain() {
    return proto.getDomain();
  }

  /** True for an operator of the default ONNX domain with this op type. */
  public boolean is(String opType) {
    return proto.getOpType().equals(opType) && OnnxModel.sameDomain(proto.getDomain(), "");
  }

  /** Input names ("" for an omitted optional input). */
  public List<String> inputs() {
    return Collections.unmodifiableList(proto.getInputList());
  }

  /** Output names. */
  public List<String> outputs() {
    return Collections.unmodifiableList(proto.getOutputList());
  }

  /** The scope that holds this node. */
  public Scope scope() {
    return scope;
  }

  /** The subgraphs this node carries (If branches, Loop/Scan bodies). */
  public List<Scope> subgraphs() {
    return Collections.unmodifiableList(subgraphs);
  }

  /** An INT attribute, or {@code fallback} when absent. */
  public long intAttribute(String name, long fallback) {
    for (AttributeProto attribute : proto.getAttributeList()) {
      if (attribute.getName().equals(name)) {
        return attribute.getI();
      }
    }
    return fallback;
  }

  /**
   * The perm of a {@code Transpose} node of an input of this rank: its {@code perm} attribute, or
   * the reversed axes when it has none (the operator's default).
   */
  public int[] transposePerm(int rank) {
    for (AttributeProto attribute : proto.getAttributeList()) {
      if (attribute.getName().equals("perm")) {
        return attribute.getIntsList().stream().mapToInt(Long::intValue).toArray();
      }
    }
    int[] reversed = new int[rank];
    for (int k = 0; k < rank; k++) {
      reversed[k] = rank - 1 - k;
    }
    return reversed;
  }

  /** A FLOAT attribute, or {@code fallback} when absent. */
  public float floatAttribute(String name, float fallback) {
    for (AttributeProto attribute : proto.getAttributeList()) {
      if (attribute.getName().equals(name)) {
        return attribute.getF();
      }
    }
    return fallback;
  }

  /** For a {@code Constant} node holding a tensor in {@code value}, that tensor. */
  Optional<TensorProto> constantTensor() {
    if (!is("Constant")) {
      return Optional.empty();
    }
    for (AttributeProto attribute : proto.getAttributeList()) {
      if (attribute.getName().equals("value") && attribute.hasT()) {
        return Optional.of(attribute.getT());
      }
    }
    return Optional.empty();
  }
}
