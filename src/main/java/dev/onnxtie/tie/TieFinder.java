package dev.onnxtie.tie;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * Finds groups of constant tensors (initializers of every graph and Constant-node values) that are
 * exact copies, exact axis permutations or exact reshapes of each other, strings included, with the
 * shared {@link Grouping} engine.
 *
 * <p>Which tensor stays (the kept-name rule), in this order:
 *
 * <ol>
 *   <li>the one in the outermost scope (a subgraph may read an outer tensor, never the reverse);
 *   <li>one that cannot be removed (a graph output);
 *   <li>one read by a {@code Gather} or {@code GatherBlockQuantized} (an embedding, also a
 *       quantized one: its {@code MatMulNBits} head then reads it);
 *   <li>a name a person wrote over an exporter-generated one ({@code onnx::...}, {@code
 *       const_fold_opt__N}, {@code val_N}, {@code _val_N}, {@code ortshared_...});
 *   <li>the one whose first reader comes first;
 *   <li>name order.
 * </ol>
 */
public final class TieFinder {
  /** Default for {@code --min-bytes}: tensors below it are left alone. */
  public static final long DEFAULT_MIN_BYTES = 64;

  /** Names exporters generate for tensors nobody named. */
  private static final Pattern GENERATED =
      Pattern.compile("onnx::.*|const_fold_opt__\\d+|_?val_\\d+|ortshared_.*");

  private TieFinder() {}

  /** True for a name an exporter generated ({@code onnx::MatMul_393}, {@code val_12}, ...). */
  public static boolean isGenerated(String name) {
    return GENERATED.matcher(name).matches();
  }

  /** What the choice of the kept tensor needs to know about one tensor. */
  private record Preference(boolean fixed, boolean gather, boolean generated, int firstReader) {}

  /**
   * Finds all tie groups of a model.
   *
   * @param editor the model
   * @param minBytes tensors smaller than this are ignored
   * @return the groups, in a deterministic order (by the kept tensor's scope depth, then name)
   */
  public static List<TieGroup> find(GraphEditor editor, long minBytes) {
    return find(editor, minBytes, bytes -> {});
  }

  /**
   * {@link #find(GraphEditor, long)}, telling {@code bytesRead} the size of each candidate tensor
   * once the engine is done with it (progress: the sizes add up to all candidates' bytes).
   */
  public static List<TieGroup> find(GraphEditor editor, long minBytes, LongConsumer bytesRead) {
    Map<String, Integer> firstReader = new HashMap<>();
    Set<String> gatherData = new HashSet<>();
    int order = 0;
    for (Node node : editor.main().allNodes()) {
      for (String input : node.inputs()) {
        firstReader.putIfAbsent(input, order);
      }
      gatherData.addAll(embeddingInputs(node));
      order++;
    }
    Map<TensorSource, Preference> preferences = new IdentityHashMap<>();
    List<TensorSource> candidates = new ArrayList<>();
    for (Scope scope : editor.scopes()) {
      for (TensorSource source : scope.tensorSources()) {
        if (source.byteSize() < minBytes || source.byteSize() == 0) {
          continue;
        }
        if (editor.irVersion() >= 4 && scope.isGraphInput(source.name())) {
          continue; // an initializer listed as input is a default the caller may override
        }
        if (source.type().isFixedSize()) {
          // resolves where the bytes are (an alias of the mapping, typed fields checked): bad
          // storage
          // stays bad input even for a tensor that is never compared; no byte of raw data is read
          source.bytes();
        }
        candidates.add(source);
        preferences.put(
            source,
            new Preference(
                scope.isInterface(source.name()),
                gatherData.contains(source.name()),
                isGenerated(source.name()),
                firstReader.getOrDefault(source.name(), Integer.MAX_VALUE)));
      }
    }
    Comparator<TensorSource> preference =
        Comparator.comparingInt((TensorSource s) -> s.scope().depth())
            .thenComparing(s -> !preferences.get(s).fixed())
            .thenComparing(s -> !preferences.get(s).gather())
            .thenComparing(s -> preferences.get(s).generated())
            .thenComparingInt(s -> preferences.get(s).firstReader())
            .thenComparing(TensorSource::name);
    candidates.sort(preference);
    List<TieGroup> groups = new ArrayList<>();
    Grouping.group(
            candidates,
            Matchers.ALL,
            (kept, member) -> kept.scope().encloses(member.scope()),
            bytesRead)
        .forEach((kept, ties) -> groups.add(new TieGroup(kept, ties)));
    groups.sort(
        Comparator.comparing((TieGroup g) -> g.kept().scope().depth())
            .thenComparing(g -> g.kept().name()));
    return groups;
  }

  /**
   * The inputs of a node that hold an embedding table: Gather's data, GatherBlockQuantized's data,
   * scales and zero points.
   */
  private static List<String> embeddingInputs(Node node) {
    List<String> inputs = node.inputs();
    if (node.is("Gather") && !inputs.isEmpty()) {
      return List.of(inputs.get(0));
    }
    if (node.opType().equals("GatherBlockQuantized") && node.domain().equals("com.microsoft")) {
      List<String> tables = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        if (i != 1 && !inputs.get(i).isEmpty()) {
          tables.add(inputs.get(i));
        }
      }
      return tables;
    }
    return List.of();
  }
}
