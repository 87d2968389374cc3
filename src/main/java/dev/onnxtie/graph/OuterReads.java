package dev.onnxtie.graph;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a subgraph reads from the graphs around it (names are unique across a model, so a body reads
 * an outer tensor by name), and the declarations such reads need once an edit has made new ones.
 */
final class OuterReads {
  private OuterReads() {}

  /** The names this graph itself defines: its inputs, initializers and node outputs. */
  static Set<String> definedNames(Scope scope) {
    Set<String> defined = new LinkedHashSet<>(scope.inputNames);
    defined.addAll(scope.initializers.keySet());
    for (Node node : scope.nodes) {
      for (String output : node.outputs()) {
        if (!output.isEmpty()) {
          defined.add(output);
        }
      }
    }
    return defined;
  }

  /**
   * The tensors of enclosing graphs that this graph reads: node inputs (here or in nested
   * subgraphs) and outputs that it does not define itself, in order of first read.
   */
  static Set<String> of(Scope scope) {
    Set<String> local = definedNames(scope);
    Set<String> reads = new LinkedHashSet<>();
    for (Node node : scope.nodes) {
      for (String input : node.inputs()) {
        if (!input.isEmpty() && !local.contains(input)) {
          reads.add(input);
        }
      }
      for (Scope sub : node.subgraphs) {
        for (String name : of(sub)) {
          if (!local.contains(name)) {
            reads.add(name);
          }
        }
      }
    }
    for (String output : scope.outputNames) {
      if (!local.contains(output)) {
        reads.add(output);
      }
    }
    return reads;
  }

  /**
   * Declares (value_info) the type of every tensor of an enclosing graph that a subgraph reads now
   * but did not read as the model was read: a tensor an edit created or rewired it to. ONNX Runtime
   * resolves the bodies of contrib operators such as {@code com.microsoft.BeamSearch} with the
   * types the body itself declares, and refuses an outer read whose type it cannot see there.
   */
  static void declareNew(Scope scope, Set<String> before) {
    for (String name : of(scope)) {
      if (!before.contains(name) && !scope.declared.containsKey(name)) {
        scope
            .parent
            .typeOf(name)
            .ifPresent(type -> scope.declare(name, type.elemType(), type.dims()));
      }
    }
  }
}
