package dev.onnxtie.tie;

import dev.onnxtie.graph.GraphEditor;
import dev.onnxtie.graph.Scope;
import dev.onnxtie.graph.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds tensors that several model files of one export hold each (an encoder, a decoder and a
 * decoder-with-past each carrying the shared embedding): identical or permuted copies across files,
 * found with the same keys and byte-exact checks as {@link TieFinder}. Copies whose bytes already
 * live at the same place of one external data file (written with {@code --shared-data}) are stored
 * once and waste nothing.
 */
public final class CrossFileFinder {
  private CrossFileFinder() {}

  /** A tensor of one file. */
  public record Member(String file, String tensor, String relation, List<Integer> perm, List<Long> shape, long bytes, boolean storedOnce) {}

  /** A tensor and its copies in other files. */
  public record Group(String file, String tensor, String dtype, List<Long> shape, List<Member> copies) {
    /** Bytes the copies waste: those not stored once. */
    public long wastedBytes() {
      return copies.stream().filter(c -> !c.storedOnce()).mapToLong(Member::bytes).sum();
    }
  }

  private record Entry(int file, TensorSource source) {}

  private record Bucket(int type, List<Long> sortedDims, long key) {}

  /**
   * Finds the groups across files.
   *
   * @param editors one editor per model
   * @param labels the models' file names, same order
   * @param minBytes smaller tensors are ignored
   */
  public static List<Group> find(List<GraphEditor> editors, List<String> labels, long minBytes) {
    PermutationKey keys = new PermutationKey();
    Map<Bucket, List<Entry>> buckets = new LinkedHashMap<>();
    for (int f = 0; f < editors.size(); f++) {
      for (Scope scope : editors.get(f).scopes()) {
        for (TensorSource source : scope.tensorSources()) {
          if (source.byteSize() < minBytes || source.byteSize() == 0) {
            continue;
          }
          long[] sorted = source.dims();
          Arrays.sort(sorted);
          Bucket bucket = new Bucket(source.type().code(), Arrays.stream(sorted).boxed().toList(), keys.of(source.bytes(), source.type(), source.dims()));
          buckets.computeIfAbsent(bucket, b -> new ArrayList<>()).add(new Entry(f, source));
        }
      }
    }
    List<Group> groups = new ArrayList<>();
    for (List<Entry> bucket : buckets.values()) {
      List<Entry> remaining = new ArrayList<>(bucket);
      while (remaining.size() >= 2) {
        Entry first = remaining.remove(0);
        List<Member> copies = new ArrayList<>();
        List<Entry> next = new ArrayList<>();
        java.util.Set<String> stored = new java.util.HashSet<>();
        if (first.source().storage() != null) {
          stored.add(first.source().storage());
        }
        for (Entry other : remaining) {
          int[] perm = other.file() == first.file() ? null : TieFinder.confirm(first.source(), other.source());
          if (perm == null) {
            next.add(other);
            continue;
          }
          // stored once: its bytes are the very bytes of an earlier member (same data file, offset, length)
          String storage = other.source().storage();
          boolean once = storage != null && !stored.add(storage);
          copies.add(new Member(labels.get(other.file()), other.source().name(), PermutationCheck.isIdentity(perm) ? "identical" : "transpose",
              Arrays.stream(perm).boxed().toList(), Arrays.stream(other.source().dims()).boxed().toList(), other.source().byteSize(), once));
        }
        if (!copies.isEmpty()) {
          groups.add(new Group(labels.get(first.file()), first.source().name(), first.source().type().onnxName(),
              Arrays.stream(first.source().dims()).boxed().toList(), copies));
        }
        remaining = next;
      }
    }
    return groups;
  }
}
