package dev.onnxtie.tie;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
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
            candidates, Matchers.ACROSS_FILES, (a, b) -> !fileOf.get(a).equals(fileOf.get(b)))
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

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
