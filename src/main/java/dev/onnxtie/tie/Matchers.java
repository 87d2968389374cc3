package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;
import dev.onnxtie.model.DataType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The matchers, one per relation family, in the order the {@link Grouping} engine runs them:
 * identical and permuted copies first (a symmetric matrix is identical, not transposed), then
 * string tensors, then reshaped copies of what is left.
 */
final class Matchers {
  private Matchers() {}

  /**
   * Identical and axis-permuted copies of fixed-size tensors: same dtype, same multiset of dims.
   */
  static final Matcher PERMUTED =
      new Matcher() {
        @Override
        public boolean accepts(TensorSource source) {
          return source.type().isFixedSize();
        }

        @Override
        public Object bucket(TensorSource source) {
          long[] sorted = source.dims();
          Arrays.sort(sorted);
          return List.of(source.type().code(), Arrays.stream(sorted).boxed().toList());
        }

        @Override
        public boolean refines() {
          return true;
        }

        @Override
        public Object refine(TensorSource source, PermutationKey keys) {
          return keys.of(source.bytes(), source.type(), source.dims());
        }

        @Override
        public Relation confirm(TensorSource kept, TensorSource member) {
          if (kept.type() != member.type() || kept.byteSize() != member.byteSize()) {
            return null;
          }
          for (int[] perm : PermutationCheck.candidates(kept.dims(), member.dims())) {
            if (PermutationCheck.matches(
                kept.bytes(), kept.dims(), member.bytes(), perm, kept.type())) {
              return Relation.ofPerm(perm);
            }
          }
          return null;
        }
      };

  /** Identical or permuted string tensors, compared element by element. */
  static final Matcher STRINGS =
      new Matcher() {
        @Override
        public boolean accepts(TensorSource source) {
          return source.type() == DataType.STRING;
        }

        @Override
        public Object bucket(TensorSource source) {
          long[] sorted = source.dims();
          Arrays.sort(sorted);
          return List.of(Arrays.stream(sorted).boxed().toList(), source.byteSize());
        }

        @Override
        public Relation confirm(TensorSource kept, TensorSource member) {
          if (kept.byteSize() != member.byteSize()) {
            return null;
          }
          List<ByteBuffer> a = kept.strings();
          List<ByteBuffer> b = member.strings();
          for (int[] perm : PermutationCheck.candidates(kept.dims(), member.dims())) {
            if (sameStrings(a, kept.dims(), b, perm)) {
              return Relation.ofPerm(perm);
            }
          }
          return null;
        }
      };

  /** Same dtype, element count and bytes, another shape: a reshaped copy. */
  static final Matcher RESHAPED =
      new Matcher() {
        @Override
        public boolean accepts(TensorSource source) {
          return source.type().isFixedSize();
        }

        @Override
        public Object bucket(TensorSource source) {
          return List.of(source.type().code(), elements(source.dims()));
        }

        /** A reshape changes the dims: a bucket whose tensors all have the same dims holds none. */
        @Override
        public boolean mayRelate(List<TensorSource> bucket) {
          long[] first = bucket.get(0).dims();
          for (TensorSource source : bucket) {
            if (!Arrays.equals(first, source.dims())) {
              return true;
            }
          }
          return false;
        }

        @Override
        public boolean refines() {
          return true;
        }

        @Override
        public Object refine(TensorSource source, PermutationKey keys) {
          return source.bytes().contentHash();
        }

        @Override
        public Relation confirm(TensorSource kept, TensorSource member) {
          if (kept.type() != member.type()
              || kept.byteSize() != member.byteSize()
              || Arrays.equals(kept.dims(), member.dims())
              || elements(kept.dims()) != elements(member.dims())) {
            return null;
          }
          if (!kept.bytes().contentEquals(member.bytes())) {
            return null;
          }
          return new Relation.Reshaped(Arrays.stream(member.dims()).boxed().toList());
        }
      };

  /** Every matcher, in the order they run. */
  static final List<Matcher> ALL = List.of(PERMUTED, STRINGS, RESHAPED);

  /** The matchers for copies across files (strings cannot share external storage). */
  static final List<Matcher> ACROSS_FILES = List.of(PERMUTED, RESHAPED);

  private static long elements(long[] dims) {
    long count = 1;
    for (long dim : dims) {
      count *= dim;
    }
    return count;
  }

  /** True when {@code b} equals {@code Transpose(a, perm)} element by element. */
  static boolean sameStrings(List<ByteBuffer> a, long[] aDims, List<ByteBuffer> b, int[] perm) {
    if (a.size() != b.size()) {
      return false;
    }
    int rank = aDims.length;
    if (PermutationCheck.isIdentity(perm)) {
      for (int i = 0; i < a.size(); i++) {
        if (!a.get(i).equals(b.get(i))) {
          return false;
        }
      }
      return true;
    }
    long[] aStride = PermutationCheck.strides(aDims);
    long[] bDims = new long[rank];
    for (int k = 0; k < rank; k++) {
      bDims[k] = aDims[perm[k]];
    }
    long[] index = new long[rank];
    for (int ib = 0; ib < b.size(); ib++) {
      long ia = 0;
      for (int k = 0; k < rank; k++) {
        ia += index[k] * aStride[perm[k]];
      }
      if (!a.get((int) ia).equals(b.get(ib))) {
        return false;
      }
      for (int k = rank - 1; k >= 0 && ++index[k] == bDims[k]; k--) {
        index[k] = 0;
      }
    }
    return true;
  }
}
