package dev.onnxtie.tie;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds tensors that several model files of one export hold each (an encoder, a decoder and a
 * decoder-with-past each carrying the shared embedding): identical, permuted or reshaped copies
 * across files, found by the same {@link Grouping} engine and byte-exact checks as {@link
 * TieFinder}. Copies whose bytes already live at the same place of one external data file (written
 * with {@code --shared-data}) are stored once and waste nothing.
 */
public final class CrossFileFinder {
  private CrossFileFinder() {}

  /** A tensor of one file. */
  public record Member(
      String file,
      String tensor,
      Relation relation,
      List<Long> shape,
      long bytes,
      boolean storedOnce) {}

  /** A tensor and its copies in other files. */
  public record Group(
      String file, String tensor, String dtype, List<Long> shape, List<Member> copies) {
    /** Bytes the copies waste: those not stored once. */
    public long wastedBytes() {
      return copies.stream().filter(c -> !c.storedOnce()).mapToLong(Member::bytes).sum();
    }
  }

  /**
   * Finds the groups across files.
   *
   * @param editors one editor per model
   * @param labels the models' file names, same order
   * @param minBytes smaller tensors are ignored
   */
  public static List<Group> find(List<GraphEditor> editors, List<String> labels, long minBytes) {
    Map<TensorSource, Integer> fileOf = new IdentityHashMap<>();
    List<TensorSource> candidates = new ArrayList<>();
    for (int f = 0; f < editors.size(); f++) {
      for (Scope scope : editors.get(f).scopes()) {
        for (TensorSource source : scope.tensorSources()) {
          if (source.byteSize() >= minBytes
              && source.byteSize() > 0
              && source.type().isFixedSize()) {
            candidates.add(source);
            fileOf.put(source, f);
          }
        }
      }
    }
    List<Group> groups = new ArrayList<>();
    Grouping.group(
            acrossFiles(candidates, fileOf),
            Matchers.ACROSS_FILES,
            (a, b) -> !fileOf.get(a).equals(fileOf.get(b)))
        .forEach(
            (first, ties) -> {
              Set<String> stored = new HashSet<>();
              if (first.storage() != null) {
                stored.add(first.storage());
              }
              List<Member> copies = new ArrayList<>();
              for (Tie tie : ties) {
                TensorSource other = tie.removed();
                // stored once: its bytes are the very bytes of an earlier member (same data file,
                // offset, length)
                String storage = other.storage();
                boolean once = storage != null && !stored.add(storage);
                copies.add(
                    new Member(
                        labels.get(fileOf.get(other)),
                        other.name(),
                        tie.relation(),
                        boxed(other.dims()),
                        other.byteSize(),
                        once));
              }
              groups.add(
                  new Group(
                      labels.get(fileOf.get(first)),
                      first.name(),
                      first.type().onnxName(),
                      boxed(first.dims()),
                      copies));
            });
    return groups;
  }

  /**
   * The candidates that share a metadata bucket (dtype, element count, sorted shape: {@link
   * Matcher#bucket}) of some matcher with a tensor of another file, in their order: only these can
   * tie across files, so only these are read. The others are never read, not even hashed when a
   * large bucket of one file's tensors would be split by its bytes: 400 unrelated models cost what
   * 400 separate finds would, and a tensor no other file has the shape of costs no read at all.
   * Leaving them out changes no group: every member of a bucket that holds two files stays.
   */
  static List<TensorSource> acrossFiles(
      List<TensorSource> candidates, Map<TensorSource, Integer> fileOf) {
    Set<TensorSource> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Matcher matcher : Matchers.ACROSS_FILES) {
      // per bucket: the first file seen, and whether a second one was
      Map<Object, List<TensorSource>> buckets = new HashMap<>();
      Map<Object, Integer> firstFile = new HashMap<>();
      Set<Object> shared = new HashSet<>();
      for (TensorSource source : candidates) {
        if (!matcher.accepts(source)) {
          continue;
        }
        Object key = matcher.bucket(source);
        buckets.computeIfAbsent(key, k -> new ArrayList<>()).add(source);
        Integer first = firstFile.putIfAbsent(key, fileOf.get(source));
        if (first != null && !first.equals(fileOf.get(source))) {
          shared.add(key);
        }
      }
      for (Object key : shared) {
        kept.addAll(buckets.get(key));
      }
    }
    if (kept.size() == candidates.size()) {
      return candidates;
    }
    return candidates.stream().filter(kept::contains).toList();
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
