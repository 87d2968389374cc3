package dev.onnxtie.tie;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Node;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds groups of constant tensors (initializers of every graph and Constant-node values) that are
 * exact copies or exact axis permutations of each other.
 *
 * <p>Each tensor of at least {@code minBytes} bytes is read once to compute its {@link
 * PermutationKey}; tensors are bucketed by (dtype, sorted dims, key), and only within a bucket are
 * pairs confirmed byte-exact by {@link PermutationCheck}, so the cost grows linearly with the bytes,
 * not with the square of the tensor count.
 *
 * <p>Which tensor stays is deterministic: the one in the outermost scope (a subgraph may read an
 * outer tensor, never the reverse); then one that cannot be removed (a graph output); then one read
 * by a {@code Gather} (an embedding); then the one whose first reader comes first; then a name that
 * is not exporter-generated ({@code onnx::...}); then name order.
 */
public final class TieFinder {
  /** Default for {@code --min-bytes}: tensors below it are left alone. */
  public static final long DEFAULT_MIN_BYTES = 64;

  private TieFinder() {}

  /** A tensor with what the choice of the kept tensor needs to know. */
  private record Candidate(TensorSource source, long key, boolean fixed, boolean gather, int firstReader, boolean generated) {}

  private record Bucket(int type, List<Long> sortedDims, long key) {}

  /**
   * Finds all tie groups of a model.
   *
   * @param editor the model
   * @param minBytes tensors smaller than this are ignored
   * @return the groups, in a deterministic order (by the kept tensor's position)
   */
  public static List<TieGroup> find(GraphEditor editor, long minBytes) {
    return find(editor, minBytes, bytes -> {});
  }

  /** {@link #find(GraphEditor, long)}, telling {@code bytesRead} the size of each tensor once its key is computed. */
  public static List<TieGroup> find(GraphEditor editor, long minBytes, java.util.function.LongConsumer bytesRead) {
    Map<String, Integer> firstReader = new HashMap<>();
    Set<String> gatherData = new HashSet<>();
    int order = 0;
    for (Node node : editor.main().allNodes()) {
      for (String input : node.inputs()) {
        firstReader.putIfAbsent(input, order);
      }
      if (node.is("Gather") && !node.inputs().isEmpty()) {
        gatherData.add(node.inputs().get(0));
      }
      order++;
    }
    PermutationKey keys = new PermutationKey();
    Map<Bucket, List<Candidate>> buckets = new LinkedHashMap<>();
    for (Scope scope : editor.scopes()) {
      for (TensorSource source : scope.tensorSources()) {
        if (source.byteSize() < minBytes || source.byteSize() == 0) {
          continue;
        }
        if (editor.irVersion() >= 4 && scope.isGraphInput(source.name())) {
          continue; // an initializer listed as input is a default the caller may override
        }
        long key = keys.of(source.bytes(), source.type(), source.dims());
        bytesRead.accept(source.byteSize());
        long[] sorted = source.dims();
        Arrays.sort(sorted);
        Bucket bucket = new Bucket(source.type().code(), Arrays.stream(sorted).boxed().toList(), key);
        buckets.computeIfAbsent(bucket, b -> new ArrayList<>()).add(new Candidate(source, key,
            scope.isInterface(source.name()), gatherData.contains(source.name()),
            firstReader.getOrDefault(source.name(), Integer.MAX_VALUE), source.name().startsWith("onnx::")));
      }
    }
    Comparator<Candidate> preference = Comparator
        .comparingInt((Candidate c) -> c.source().scope().depth())
        .thenComparing(c -> !c.fixed())
        .thenComparing(c -> !c.gather())
        .thenComparingInt(Candidate::firstReader)
        .thenComparing(Candidate::generated)
        .thenComparing(c -> c.source().name());
    List<TieGroup> groups = new ArrayList<>();
    for (List<Candidate> bucket : buckets.values()) {
      if (bucket.size() < 2) {
        continue;
      }
      List<Candidate> remaining = new ArrayList<>(bucket);
      remaining.sort(preference);
      while (remaining.size() >= 2) {
        Candidate kept = remaining.remove(0);
        List<Tie> ties = new ArrayList<>();
        List<Candidate> next = new ArrayList<>();
        for (Candidate member : remaining) {
          int[] perm = kept.source().scope().encloses(member.source().scope()) ? confirm(kept.source(), member.source()) : null;
          if (perm != null) {
            ties.add(new Tie(kept.source(), member.source(), perm));
          } else {
            next.add(member);
          }
        }
        if (!ties.isEmpty()) {
          groups.add(new TieGroup(kept.source(), ties));
        }
        remaining = next;
      }
    }
    groups.sort(Comparator.comparing((TieGroup g) -> g.kept().scope().depth()).thenComparing(g -> g.kept().name()));
    return groups;
  }

  /** The first perm under which {@code member} equals {@code kept} bit for bit, or null. */
  static int[] confirm(TensorSource kept, TensorSource member) {
    if (kept.type() != member.type() || kept.byteSize() != member.byteSize()) {
      return null;
    }
    for (int[] perm : PermutationCheck.candidates(kept.dims(), member.dims())) {
      if (PermutationCheck.matches(kept.bytes(), kept.dims(), member.bytes(), perm, kept.type())) {
        return perm;
      }
    }
    return null;
  }
}
