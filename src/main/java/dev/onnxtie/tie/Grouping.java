package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.LongConsumer;

/**
 * The one grouping engine behind {@link TieFinder} (inside a model) and {@link CrossFileFinder}
 * (across model files).
 *
 * <p>For each matcher in turn: tensors are bucketed by the matcher's metadata key; a tensor alone
 * in its bucket is never read. A bucket larger than {@link #REFINE_ABOVE} is split by the matcher's
 * byte key (the permutation-invariant {@link PermutationKey}, or a plain hash for reshapes), so
 * that many same-shaped tensors do not cost a comparison per pair; smaller buckets are compared
 * pair by pair directly (a mismatch usually ends a comparison within the first elements). Within a
 * bucket, in preference order, the first tensor is kept and every later one the confirmation
 * accepts becomes its tie; the rest form the next round. A tensor removed by one matcher is not
 * seen by later ones, and a tensor kept by one is never removed by a later one.
 */
final class Grouping {
  /** Buckets with more members than this are split by the matcher's byte key first. */
  static final int REFINE_ABOVE = 256;

  private Grouping() {}

  /**
   * Groups tensors.
   *
   * @param candidates the tensors, in preference order (the first of a group stays)
   * @param matchers the matchers, in the order they run
   * @param mayTie whether the first may be kept for the second (scope enclosure, other file)
   * @return kept tensor to its ties, in the order groups were formed
   */
  static Map<TensorSource, List<Tie>> group(
      List<TensorSource> candidates,
      List<Matcher> matchers,
      BiPredicate<TensorSource, TensorSource> mayTie) {
    return group(candidates, matchers, mayTie, bytes -> {});
  }

  /**
   * {@link #group(List, List, BiPredicate)}, telling {@code bytesDone} the size of each candidate
   * once: after the bucket of the first matcher that takes it is done (a tensor alone in its bucket
   * at once), and at the end for a tensor no matcher takes. The sizes add up to all candidates'.
   */
  static Map<TensorSource, List<Tie>> group(
      List<TensorSource> candidates,
      List<Matcher> matchers,
      BiPredicate<TensorSource, TensorSource> mayTie,
      LongConsumer bytesDone) {
    Map<TensorSource, List<Tie>> groups = new LinkedHashMap<>();
    Set<TensorSource> removed = Collections.newSetFromMap(new IdentityHashMap<>());
    Set<TensorSource> counted = Collections.newSetFromMap(new IdentityHashMap<>());
    PermutationKey keys = new PermutationKey();
    for (Matcher matcher : matchers) {
      Map<Object, List<TensorSource>> buckets = new LinkedHashMap<>();
      for (TensorSource source : candidates) {
        if (!removed.contains(source) && matcher.accepts(source)) {
          buckets.computeIfAbsent(matcher.bucket(source), b -> new ArrayList<>()).add(source);
        }
      }
      for (List<TensorSource> bucket : buckets.values()) {
        if (bucket.size() < 2 || !matcher.mayRelate(bucket)) {
          count(bucket, counted, bytesDone);
          continue;
        }
        for (List<TensorSource> part : refine(bucket, matcher, keys)) {
          // tensors already kept by an earlier matcher come first: they stay
          List<TensorSource> remaining =
              new ArrayList<>(part.stream().filter(groups::containsKey).toList());
          part.stream().filter(s -> !groups.containsKey(s)).forEach(remaining::add);
          while (remaining.size() >= 2) {
            TensorSource kept = remaining.remove(0);
            List<TensorSource> next = new ArrayList<>();
            for (TensorSource member : remaining) {
              Relation relation =
                  groups.containsKey(member) || !mayTie.test(kept, member)
                      ? null
                      : matcher.confirm(kept, member);
              if (relation == null) {
                next.add(member);
              } else {
                groups
                    .computeIfAbsent(kept, k -> new ArrayList<>())
                    .add(new Tie(kept, member, relation));
                removed.add(member);
              }
            }
            remaining = next;
          }
        }
        count(bucket, counted, bytesDone);
      }
    }
    count(candidates, counted, bytesDone);
    return groups;
  }

  /** Reports the size of each tensor not reported before. */
  private static void count(
      List<TensorSource> sources, Set<TensorSource> counted, LongConsumer bytesDone) {
    for (TensorSource source : sources) {
      if (counted.add(source)) {
        bytesDone.accept(source.byteSize());
      }
    }
  }

  private static List<List<TensorSource>> refine(
      List<TensorSource> bucket, Matcher matcher, PermutationKey keys) {
    if (bucket.size() <= REFINE_ABOVE || !matcher.refines()) {
      return List.of(bucket);
    }
    Map<Object, List<TensorSource>> parts = new LinkedHashMap<>();
    for (TensorSource source : bucket) {
      parts.computeIfAbsent(matcher.refine(source, keys), k -> new ArrayList<>()).add(source);
    }
    return List.copyOf(parts.values());
  }
}
