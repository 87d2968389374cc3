package dev.onnxtie.tie;

import dev.onnxtie.model.DataType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte-exact confirmation that one tensor is another with its axes permuted: {@code b =
 * Transpose(a, perm)}, i.e. {@code b.shape[k] = a.shape[perm[k]]} and every element equal bit for
 * bit. Nothing "close" ever passes.
 */
public final class PermutationCheck {
  /** Permutations are tried up to this rank (720 at most); higher ranks are compared as-is only. */
  public static final int MAX_PERMUTED_RANK = 6;

  private static final int TILE = 64;

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
    if (java.util.Arrays.equals(a, b)) {
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
   * True when {@code b} equals {@code Transpose(a, perm)} bit for bit.
   *
   * @param a the raw bytes of the first tensor
   * @param aDims its dims
   * @param b the raw bytes of the second tensor, whose dims are {@code aDims} permuted by perm
   */
  public static boolean matches(ByteBuffer a, long[] aDims, ByteBuffer b, int[] perm, DataType type) {
    if (a.remaining() != b.remaining()) {
      return false;
    }
    if (isIdentity(perm)) {
      return a.duplicate().rewind().mismatch(b.duplicate().rewind()) == -1;
    }
    int width = ElementReader.width(type);
    boolean packed = type.isPacked();
    int rank = aDims.length;
    long[] aStride = new long[rank];
    long stride = 1;
    for (int k = rank - 1; k >= 0; k--) {
      aStride[k] = stride;
      stride *= aDims[k];
    }
    long[] bDims = new long[rank];
    long[] step = new long[rank];
    for (int k = 0; k < rank; k++) {
      bDims[k] = aDims[perm[k]];
      step[k] = aStride[perm[k]];
    }
    if (rank == 2) {
      return matches2d(a, b, bDims[0], bDims[1], step[0], step[1], width, packed);
    }
    for (long dim : bDims) {
      if (dim == 0) {
        return true;
      }
    }
    int[] index = new int[rank];
    long ia = 0;
    long ib = 0;
    long inner = bDims[rank - 1];
    long innerStep = step[rank - 1];
    while (true) {
      long at = ia;
      for (long j = 0; j < inner; j++, at += innerStep) {
        if (!ElementReader.same(a, at, b, ib + j, width, packed)) {
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

  /** Rank-2 case in tiles, so that the strided side stays in cache. */
  private static boolean matches2d(ByteBuffer a, ByteBuffer b, long rows, long cols, long rowStep, long colStep, int width, boolean packed) {
    for (long r0 = 0; r0 < rows; r0 += TILE) {
      long r1 = Math.min(rows, r0 + TILE);
      for (long c0 = 0; c0 < cols; c0 += TILE) {
        long c1 = Math.min(cols, c0 + TILE);
        for (long r = r0; r < r1; r++) {
          long ib = r * cols;
          for (long c = c0; c < c1; c++) {
            if (!ElementReader.same(a, r * rowStep + c * colStep, b, ib + c, width, packed)) {
              return false;
            }
          }
        }
      }
    }
    return true;
  }
}
