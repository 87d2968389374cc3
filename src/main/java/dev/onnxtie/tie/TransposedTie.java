package dev.onnxtie.tie;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A tie that already exists as a node: {@code Transpose(W, perm=[1, 0])} over a rank-2 initializer
 * W, read by {@code MatMul} as its B input (torch's dynamo exporter, Optimum, onnxruntime-genai's
 * float tied form, and onnx-tie's own transpose form all write it). ONNX Runtime constant-folds the
 * Transpose when it creates a session. When nothing else reads W, it then frees W and holds one
 * copy (the transposed one): nothing to gain. When W is also read elsewhere (a {@code Gather},
 * say), it holds W and its transposed copy: the {@link #heldTwice()} case, where the Gemm form
 * ({@code Gemm(x, W, transB=1)}) needs no transposed copy (measured in bench/TransposedTies.java).
 *
 * @param weight the initializer W
 * @param transpose the Transpose node
 * @param matmuls the MatMul nodes of its scope that read its output as B (and not as A)
 * @param otherReaders the nodes other than a {@code Transpose(W, perm=[1, 0])} that read W, by
 *     label ("Gather node_embed"), plus "graph output" when W is one: what keeps W alive beside its
 *     folded transposed copy
 */
public record TransposedTie(
    TensorSource weight, Node transpose, List<Node> matmuls, List<String> otherReaders) {
  /**
   * True when ONNX Runtime holds W and its folded transposed copy: something besides the Transpose
   * reads W ({@link #otherReaders()}), and W is no graph input (an overridable initializer, which
   * ONNX Runtime does not fold).
   */
  public boolean heldTwice() {
    return !otherReaders.isEmpty();
  }

  /**
   * Every such tie of a model, in node order. The Transpose and its MatMul readers are in one
   * scope; W may be an initializer of that scope or of an enclosing one.
   */
  public static List<TransposedTie> find(GraphEditor editor) {
    List<TransposedTie> found = new ArrayList<>();
    for (Scope scope : editor.scopes()) {
      for (Node node : scope.nodes()) {
        if (!node.is("Transpose") || node.inputs().size() != 1 || node.outputs().size() != 1) {
          continue;
        }
        Optional<TensorSource> weight = initializerVisibleFrom(editor, scope, node.inputs().get(0));
        if (weight.isEmpty()
            || weight.get().rank() != 2
            || !Arrays.equals(node.transposePerm(2), new int[] {1, 0})) {
          continue;
        }
        String output = node.outputs().get(0);
        List<Node> matmuls = new ArrayList<>();
        for (Node reader : scope.readers(output)) {
          boolean asB =
              reader.is("MatMul")
                  && reader.inputs().size() == 2
                  && reader.inputs().get(1).equals(output)
                  && !reader.inputs().get(0).equals(output)
                  && reader.scope() == scope;
          if (asB) {
            matmuls.add(reader);
          }
        }
        if (!matmuls.isEmpty()) {
          found.add(
              new TransposedTie(weight.get(), node, matmuls, otherReaders(editor, weight.get())));
        }
      }
    }
    return found;
  }

  /**
   * What keeps W alive once ONNX Runtime has folded its Transposes: readers other than a {@code
   * Transpose(W, perm=[1, 0])} (identical Transposes are merged and folded into one copy), and W
   * being a graph output. None for a W that is also a graph input: ONNX Runtime folds no
   * overridable initializer, so no transposed copy is stored.
   */
  private static List<String> otherReaders(GraphEditor editor, TensorSource weight) {
    Scope defining = weight.scope();
    List<String> others = new ArrayList<>();
    if (defining.isGraphInput(weight.name()) && editor.irVersion() >= 4) {
      return others;
    }
    for (Node reader : defining.readers(weight.name())) {
      boolean transposeOnly =
          reader.is("Transpose")
              && reader.inputs().size() == 1
              && Arrays.equals(reader.transposePerm(2), new int[] {1, 0});
      if (!transposeOnly) {
        String label = reader.label();
        others.add(label.startsWith(reader.opType() + "(") ? label : reader.opType() + " " + label);
      }
    }
    if (defining.isInterface(weight.name())) {
      others.add("graph output");
    }
    return others;
  }

  private static Optional<TensorSource> initializerVisibleFrom(
      GraphEditor editor, Scope scope, String name) {
    for (Scope candidate : editor.scopes()) {
      if (candidate.encloses(scope) && candidate.hasInitializer(name) && !editor.isShadowed(name)) {
        return candidate.initializer(name);
      }
    }
    return Optional.empty();
  }
}
