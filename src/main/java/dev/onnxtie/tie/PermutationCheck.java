package dev.onnxtie.tie;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.TensorBytes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Byte-exact confirmation that one tensor is another with its axes permuted: {@code b =
 * Transpose(a, perm)}, i.e. {@code b.shape[k] = a.shape[perm[k]]} and every element equal bit for
 * bit. Nothing "close" ever passes.
 *
 * <p>This class finds the permutations to try and reduces each to its simplest form (axes of length
 * 1 dropped, neighbours merged); the compare of large tensors is {@code TiledCompare}'s, over the
 * tiles of {@code Tiles}.
 */
public final class PermutationCheck {
  /** Permutations are tried up to this rank (720 at most); higher ranks are compared as-is only. */
  public static final int MAX_PERMUTED_RANK = 6;

  private PermutationCheck() {}

  /**
   * The permutations that map {@code a}'s dims onto {@code b}'s, identity first (when the dims are
   * equal), then in lexicographic order.
   */
  public static List<int[]> candidates(long[] a, long[] b) {
    List<int[]> perms = new ArrayList<>();
    if (a.length != b.length) {
      return perms;
    }
    int rank = a.length;
    int[] identity = new int[rank];
    for (int i = 0; i < rank; i++) {
      identity[i] = i;
    }
    if (Arrays.equals(a, b)) {
      perms.add(identity.clone());
    }
    if (rank < 2 || rank > MAX_PERMUTED_RANK) {
      return perms;
    }
    permute(identity, 0, a, b, perms);
    return perms;
  }

  private static void permute(int[] perm, int at, long[] a, long[] b, List<int[]> out) {
    if (at == perm.length) {
      if (!isIdentity(perm)) {
        out.add(perm.clone());
      }
      return;
    }
    for (int i = at; i < perm.length; i++) {
      int[] next = perm.clone();
      int chosen = next[i];
      System.arraycopy(next, at, next, at + 1, i - at);
      next[at] = chosen;
      if (a[next[at]] == b[at]) {
        permute(next, at + 1, a, b, out);
      }
    }
  }

  /** True for {@code [0, 1, ..., n-1]}. */
  public static boolean isIdentity(int[] perm) {
    for (int i = 0; i < perm.length; i++) {
      if (perm[i] != i) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when {@code b} equals {@code Transpose(a, perm)} bit for bit (tensors of up to 2 GiB).
   *
   * @param a the raw bytes of the first tensor
   * @param aDims its dims
   * @param b the raw bytes of the second tensor, whose dims are {@code aDims} permuted by perm
   */
  public static boolean matches(
      ByteBuffer a, long[] aDims, ByteBuffer b, int[] perm, DataType type) {
    return matches(TensorBytes.of(a), aDims, TensorBytes.of(b), perm, type);
  }

  /**
   * True when {@code b} equals {@code Transpose(a, perm)} bit for bit, for tensors of any size.
   * Axes of length 1 are dropped and axes that stay neighbours are merged first; then, unless the
   * innermost axis stays in place (a run compare), tiles of up to 256 x 256 elements of both
   * tensors are copied into arrays and compared there, split over the available cores when the
   * tensor is large.
   *
   * @param a the raw bytes of the first tensor
   * @param aDims its dims
   * @param b the raw bytes of the second tensor, whose dims are {@code aDims} permuted by perm
   */
  public static boolean matches(
      TensorBytes a, long[] aDims, TensorBytes b, int[] perm, DataType type) {
    if (a.size() != b.size()) {
      return false;
    }
    if (isIdentity(perm)) {
      return a.contentEquals(b);
    }
    for (long dim : aDims) {
      if (dim == 0) {
        return true;
      }
    }
    if (type.isPacked()) {
      return matchesElementwise(a, aDims, b, perm, type);
    }
    Reduced reduced = reduce(aDims, perm);
    if (reduced.perm().length <= 1 || isIdentity(reduced.perm())) {
      return a.contentEquals(b);
    }
    return new TiledCompare(a, b, reduced.dims(), reduced.perm(), ElementReader.width(type))
        .matches();
  }

  /** The same transpose with axes of length 1 dropped and axes that stay neighbours merged. */
  record Reduced(long[] dims, int[] perm) {}

  static Reduced reduce(long[] aDims, int[] perm) {
    int rank = aDims.length;
    int[] kept = new int[rank];
    int count = 0;
    int[] newIndex = new int[rank];
    for (int axis = 0; axis < rank; axis++) {
      newIndex[axis] = aDims[axis] == 1 ? -1 : count;
      if (aDims[axis] != 1) {
        kept[count++] = axis;
      }
    }
    int[] squeezed = new int[count];
    int n = 0;
    for (int axis : perm) {
      if (newIndex[axis] >= 0) {
        squeezed[n++] = newIndex[axis];
      }
    }
    long[] squeezedDims = new long[count];
    for (int i = 0; i < count; i++) {
      squeezedDims[i] = aDims[kept[i]];
    }
    // groups of b axes whose a axes are consecutive and in order
    List<int[]> groups = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      if (k > 0 && squeezed[k] == squeezed[k - 1] + 1) {
        groups.get(groups.size() - 1)[1] = squeezed[k];
      } else {
        groups.add(new int[] {squeezed[k], squeezed[k]});
      }
    }
    Integer[] order = new Integer[groups.size()];
    for (int g = 0; g < order.length; g++) {
      order[g] = g;
    }
    Arrays.sort(order, (x, y) -> Integer.compare(groups.get(x)[0], groups.get(y)[0]));
    long[] dims = new long[groups.size()];
    int[] reducedPerm = new int[groups.size()];
    for (int position = 0; position < order.length; position++) {
      int[] group = groups.get(order[position]);
      long product = 1;
      for (int axis = group[0]; axis <= group[1]; axis++) {
        product *= squeezedDims[axis];
      }
      dims[position] = product;
      reducedPerm[order[position]] = position;
    }
    return new Reduced(dims, reducedPerm);
  }

  /** Row-major element strides of a shape: the last axis has stride 1. */
  static long[] strides(long[] dims) {
    long[] strides = new long[dims.length];
    long stride = 1;
    for (int k = dims.length - 1; k >= 0; k--) {
      strides[k] = stride;
      stride *= dims[k];
    }
    return strides;
  }

  /** Element by element (the packed sub-byte types, whose elements are 4 or 2 bits of a byte). */
  private static boolean matchesElementwise(
      TensorBytes a, long[] aDims, TensorBytes b, int[] perm, DataType type) {
    int width = ElementReader.width(type);
    int packedBits = ElementReader.packedBits(type);
    int rank = aDims.length;
    long[] aStride = strides(aDims);
    long[] bDims = new long[rank];
    long[] step = new long[rank];
    for (int k = 0; k < rank; k++) {
      bDims[k] = aDims[perm[k]];
      step[k] = aStride[perm[k]];
    }
    int[] index = new int[rank];
    long ia = 0;
    long ib = 0;
    long inner = bDims[rank - 1];
    long innerStep = step[rank - 1];
    while (true) {
      long at = ia;
      for (long j = 0; j < inner; j++, at += innerStep) {
        if (!ElementReader.same(a, at, b, ib + j, width, packedBits)) {
          return false;
        }
      }
      ib += inner;
      int k = rank - 2;
      while (k >= 0) {
        ia += step[k];
        if (++index[k] < bDims[k]) {
          break;
        }
        ia -= step[k] * bDims[k];
        index[k] = 0;
        k--;
      }
      if (k < 0) {
        return true;
      }
    }
  }
}
