package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.OperatorSetIdProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Checks a parsed model before anything else touches it, so that hostile or broken files fail with
 * one line that names the problem: a missing graph or default opset, tensors whose stored bytes
 * disagree with their dims and dtype (sizes checked with overflow-safe arithmetic before any
 * allocation), tensors holding data in more than one field, unsafe external data, undefined or
 * doubly-defined tensors, cycles, control-flow nodes without their bodies, an IR version newer than
 * this tool knows, repeated attributes, attributes of the wrong type on the operators the tool
 * reads or writes, and Transpose perms that are no permutation of the input's axes.
 *
 * <p>This class checks the model as a whole (graph, IR version, default opset) and hands the rest
 * to three sets of rules, one class each: {@code GraphRules} (definitions, reads, outputs, cycles,
 * subgraphs), {@code AttributeRules} (attribute names, types, bodies, perms) and {@link
 * TensorRules} (dtype, data fields, stored size).
 */
public final class ModelValidator {
  private ModelValidator() {}

  /** The newest IR version this tool knows: the one of the schema it is built from. */
  public static final long NEWEST_IR_VERSION = Onnx.Version.IR_VERSION_VALUE;

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
   * passed the tensor rules ({@code TensorRules}) before, in a model with the same external data:
   * their checks are skipped. An edited model carries over most tensors of the model it was made
   * from.
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
    if (!hasDefault && usesDefaultDomain(proto.getGraph())) {
      throw OnnxTieException.badInput(
          "the model imports no default-domain (ai.onnx) opset; add one to opset_import");
    }
    new GraphRules(model, checked).validate(proto.getGraph(), "main", Set.of(), null);
  }

  /**
   * The tensors of a model's graphs (initializers and attribute tensors, in subgraphs too), by
   * identity.
   */
  static Set<TensorProto> tensors(OnnxModel model) {
    Set<TensorProto> tensors = Collections.newSetFromMap(new IdentityHashMap<>());
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
}
