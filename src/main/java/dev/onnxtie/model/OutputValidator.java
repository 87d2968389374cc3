package dev.onnxtie.model;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.AttributeProto;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import dev.onnxtie.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Checks a model an edit produced before it is written: it must pass the validation its input
 * passed ({@link ModelValidator}), and also
 *
 * <ul>
 *   <li>every node input is defined before the node reads it, in its graph or an enclosing one;
 *   <li>every tensor a subgraph reads from an enclosing graph has a type the subgraph can see:
 *       declared in the subgraph itself, or, for the bodies of ONNX's own control flow (If, Loop,
 *       Scan), known to the graph around it. ONNX Runtime resolves the bodies of contrib operators
 *       such as {@code com.microsoft.BeamSearch} with the types they declare themselves.
 * </ul>
 *
 * A breach the input already had (same rule, same tensor) is not the edit's doing and is let
 * through. Any other failure is a bug in the edit: an internal error (exit 3), and nothing is
 * written.
 */
public final class OutputValidator {
  private OutputValidator() {}

  /**
   * Validates {@code output}, the result of editing {@code input}.
   *
   * @throws OnnxTieException (internal, exit 3) for the first problem the edit introduced
   */
  public static void validate(OnnxModel input, OnnxModel output) {
    try {
      // tensors carried over from the input passed these checks when it was read (same data files)
      ModelValidator.validate(
          output,
          input.externalData() == output.externalData() ? ModelValidator.tensors(input) : Set.of());
    } catch (OnnxTieException e) {
      throw internal(e.getMessage());
    }
    Map<String, String> found = problems(output);
    if (found.isEmpty()) {
      return;
    }
    Set<String> before = problems(input).keySet();
    for (Map.Entry<String, String> problem : found.entrySet()) {
      if (!before.contains(problem.getKey())) {
        throw internal(problem.getValue());
      }
    }
  }

  private static OnnxTieException internal(String problem) {
    return new OnnxTieException(
        OnnxTieException.INTERNAL,
        "internal error: the rewritten model is invalid ("
            + problem
            + "); nothing was written. Please report this with the input model");
  }

  /** Problems by key (rule and tensor), each with its message; in model order. */
  static Map<String, String> problems(OnnxModel model) {
    Map<String, String> problems = new LinkedHashMap<>();
    GraphProto main = model.proto().getGraph();
    order(main, "main", Set.of(), problems);
    Set<String> mainDefined = defined(main);
    types(main, "main", false, mainDefined::contains, problems);
    return problems;
  }

  /** Every node input defined before its node (lexically, as ONNX's checker scopes names). */
  private static void order(
      GraphProto graph, String path, Set<String> outer, Map<String, String> problems) {
    Set<String> visible = new HashSet<>(outer);
    graph.getInputList().forEach(value -> visible.add(value.getName()));
    graph.getInitializerList().forEach(tensor -> visible.add(tensor.getName()));
    graph.getSparseInitializerList().forEach(sparse -> visible.add(sparse.getValues().getName()));
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      for (String input : node.getInputList()) {
        if (!input.isEmpty() && !visible.contains(input)) {
          problems.putIfAbsent(
              "order:" + input,
              "graph '"
                  + path
                  + "': node "
                  + ProtoGraphs.nodeLabel(node, n)
                  + " reads '"
                  + input
                  + "' before it is defined");
        }
      }
      for (AttributeProto attribute : node.getAttributeList()) {
        List<GraphProto> bodies = new ArrayList<>(attribute.getGraphsList());
        if (attribute.hasG()) {
          bodies.add(attribute.getG());
        }
        for (GraphProto body : bodies) {
          order(
              body,
              path + "/" + ProtoGraphs.nodeLabel(node, n) + "." + attribute.getName(),
              visible,
              problems);
        }
      }
      node.getOutputList().forEach(visible::add);
    }
    for (ValueInfoProto output : graph.getOutputList()) {
      if (!visible.contains(output.getName())) {
        problems.putIfAbsent(
            "order:" + output.getName(),
            "graph '" + path + "': output '" + output.getName() + "' is never defined");
      }
    }
  }

  /**
   * Every read of an enclosing graph's tensor in a subgraph has a type the subgraph sees.
   *
   * @param parentKnows whether the graph around this one knows the type of a name (it defines it,
   *     and ONNX Runtime infers it, or it sees the type itself)
   */
  private static void types(
      GraphProto graph,
      String path,
      boolean ownDeclarationsOnly,
      Predicate<String> parentKnows,
      Map<String, String> problems) {
    Set<String> defined = defined(graph);
    Set<String> declared = new HashSet<>();
    graph.getInputList().forEach(value -> declared.add(value.getName()));
    graph.getOutputList().forEach(value -> declared.add(value.getName()));
    graph.getValueInfoList().forEach(value -> declared.add(value.getName()));
    graph.getInitializerList().forEach(tensor -> declared.add(tensor.getName()));
    Predicate<String> known =
        name -> declared.contains(name) || (!ownDeclarationsOnly && parentKnows.test(name));
    for (int n = 0; n < graph.getNodeCount(); n++) {
      NodeProto node = graph.getNode(n);
      for (String input : node.getInputList()) {
        if (!input.isEmpty() && !defined.contains(input) && !known.test(input)) {
          problems.putIfAbsent(
              "type:" + input,
              "graph '"
                  + path
                  + "': node "
                  + ProtoGraphs.nodeLabel(node, n)
                  + " reads '"
                  + input
                  + "' of an enclosing graph, whose type this graph does not declare (value_info)");
        }
      }
      // bodies of ONNX's own control flow get outer types from the graph around them; others do not
      boolean contrib = !OnnxModel.sameDomain(node.getDomain(), "");
      for (AttributeProto attribute : node.getAttributeList()) {
        List<GraphProto> bodies = new ArrayList<>(attribute.getGraphsList());
        if (attribute.hasG()) {
          bodies.add(attribute.getG());
        }
        for (GraphProto body : bodies) {
          types(
              body,
              path + "/" + ProtoGraphs.nodeLabel(node, n) + "." + attribute.getName(),
              contrib,
              name -> defined.contains(name) || known.test(name),
              problems);
        }
      }
    }
  }

  /** The names a graph defines itself: inputs, initializers and node outputs. */
  private static Set<String> defined(GraphProto graph) {
    Set<String> defined = new HashSet<>();
    graph.getInputList().forEach(value -> defined.add(value.getName()));
    for (TensorProto tensor : graph.getInitializerList()) {
      defined.add(tensor.getName());
    }
    graph.getSparseInitializerList().forEach(sparse -> defined.add(sparse.getValues().getName()));
    for (NodeProto node : graph.getNodeList()) {
      node.getOutputList().forEach(defined::add);
    }
    return defined;
  }
}
