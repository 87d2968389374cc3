package dev.onnxtie.pass;

import dev.onnxtie.graph.Attribute;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.tie.Relation;
import dev.onnxtie.tie.Tie;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The Transpose and Reshape nodes {@link TieWeights} adds, one per (kept tensor, relation), shared
 * by all readers in the scope where it is made and the subgraphs below it; each made on first use,
 * next to the kept tensor's producer, with its output's type declared.
 */
final class DerivedNodes {
  /** The output made for each kept tensor and relation, and the scope it is visible in. */
  private final Map<String, String> outputs = new HashMap<>();

  private final Map<String, Scope> scopes = new HashMap<>();

  /**
   * The output of the shared Transpose or Reshape that makes the removed tensor of a permuted or
   * reshaped tie, in the removed tensor's scope.
   */
  String of(Tie tie) {
    Scope scope = tie.removed().scope();
    if (tie.relation() instanceof Relation.Reshaped reshaped) {
      return reshape(tie, scope, reshaped.shape());
    }
    return transpose(tie, scope, ((Relation.Permuted) tie.relation()).perm());
  }

  /** The output of the shared {@code Reshape(kept, shape)} visible from {@code scope}. */
  String reshape(Tie tie, Scope scope, List<Long> shape) {
    long[] values = shape.stream().mapToLong(Long::longValue).toArray();
    return derived(
        tie,
        scope,
        "Reshape",
        "_reshaped",
        new NodeSetUp(
            () -> List.of(GemmForm.int64(scope, tie.kept().name() + "_shape", values)),
            List.of(),
            5));
  }

  /** The output of the shared {@code Transpose(kept, perm)} visible from {@code scope}. */
  String transpose(Tie tie, Scope scope, List<Integer> order) {
    List<Long> perm = order.stream().map(Integer::longValue).toList();
    String suffix = perm.size() == 2 ? "_transposed" : "_perm" + permSuffix(order);
    return derived(
        tie,
        scope,
        "Transpose",
        suffix,
        new NodeSetUp(List::of, List.of(Attribute.ofInts("perm", perm)), 7));
  }

  /**
   * Extra inputs (made on first use) and attributes of a derived node, and the opset its op needs.
   */
  private record NodeSetUp(
      Supplier<List<String>> extraInputs, List<Attribute> attributes, long opset) {}

  /**
   * The output of the shared node {@code op(kept, ...)} that turns the kept tensor into the removed
   * one, visible from {@code scope}; created on first use, next to the kept tensor's producer.
   */
  private String derived(Tie tie, Scope scope, String op, String suffix, NodeSetUp setUp) {
    TensorSource kept = tie.kept();
    String key = kept.name() + "|" + tie.relation();
    String existing = outputs.get(key);
    if (existing != null && scopes.get(key).encloses(scope)) {
      return existing;
    }
    String output = scope.editor().uniqueName(kept.name() + suffix);
    int at = 0;
    if (kept.scope() == scope) {
      at = scope.producer(kept.name()).map(node -> scope.indexOf(node) + 1).orElse(0);
    }
    List<String> inputs = new ArrayList<>();
    inputs.add(kept.name());
    inputs.addAll(setUp.extraInputs().get());
    scope.addNode(
        at,
        op,
        op + "_" + output,
        inputs,
        List.of(output),
        setUp.attributes().toArray(new Attribute[0]));
    scope
        .editor()
        .ensureOpset(
            "", Math.max(setUp.opset(), scope.editor().irVersion() >= 7 ? 13 : setUp.opset()));
    scope.declare(output, kept.type().code(), dimsOf(tie.removed().dims()));
    outputs.put(key, output);
    scopes.put(key, scope);
    return output;
  }

  private static String permSuffix(List<Integer> perm) {
    StringBuilder text = new StringBuilder();
    for (int p : perm) {
      text.append('_').append(p);
    }
    return text.toString();
  }

  /** Dims as the editor's declarations take them. */
  static List<Object> dimsOf(long[] dims) {
    List<Object> list = new ArrayList<>();
    for (long dim : dims) {
      list.add(dim);
    }
    return list;
  }
}
