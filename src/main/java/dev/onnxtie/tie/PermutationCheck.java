package dev.onnxtie.tie;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.TensorBytes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * Byte-exact confirmation that one tensor is another with its axes permuted: {@code b =
 * Transpose(a, perm)}, i.e. {@code b.shape[k] = a.shape[perm[k]]} and every element equal bit for
 * bit. Nothing "close" ever passes.
 */
public final class PermutationCheck {
  /** Permutations are tried up to this rank (720 at most); higher ranks are compared as-is only. */
  public static final int MAX_PERMUTED_RANK = 6;

  /**
   * Elements a tile side. The rows each load copies are this long: 256 rather than 128 elements
   * read the mapped tensors in longer runs (check, 8 alternating runs, medians, together with a
   * {@link #BLOCK} of 512 rather than 256: float16 [128256, 1920] transposed 1.43 -> 1.27 s,
   * float32 [50257, 768] 0.58 -> 0.51 s; 512-element tiles were no faster).
   */
  private static final int TILE = 256;

  /** Tiles are visited in blocks of this many elements a side (a multiple of {@link #TILE}). */
  private static final int BLOCK = 512;

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
   * innermost axis stays in place (a run compare), tiles of up to {@value #TILE} x {@value #TILE}
   * elements of both tensors are copied into arrays and compared there, split over the available
   * cores when the tensor is large.
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
    return new Tiled(a, b, reduced.dims(), reduced.perm(), ElementReader.width(type)).matches();
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
    java.util.Arrays.sort(order, (x, y) -> Integer.compare(groups.get(x)[0], groups.get(y)[0]));
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

  /** Tensors at least this large are compared on all cores. */
  static final long PARALLEL_MIN_BYTES = 8L << 20;

  /** One tiled compare of b against Transpose(a, perm), with axes already reduced. */
  private static final class Tiled {

    private final TensorBytes a;
    private final TensorBytes b;
    private final int width;
    private final int rank;
    private final long[] bDims;
    private final long[] step;
    private final long[] bStride;

    /** The b axis that is a's innermost (stride 1 in a). */
    private final int q;

    /** The other b axes (neither q nor the last), outermost first. */
    private final int[] others;

    private final long outerCount;
    private final AtomicBoolean failed = new AtomicBoolean();

    Tiled(TensorBytes a, TensorBytes b, long[] aDims, int[] perm, int width) {
      this.a = a;
      this.b = b;
      this.width = width;
      this.rank = aDims.length;
      long[] aStride = strides(aDims);
      bDims = new long[rank];
      step = new long[rank];
      int inner = -1;
      for (int k = 0; k < rank; k++) {
        bDims[k] = aDims[perm[k]];
        step[k] = aStride[perm[k]];
        if (perm[k] == rank - 1) {
          inner = k;
        }
      }
      q = inner;
      bStride = strides(bDims);
      int[] rest = new int[rank];
      int n = 0;
      long count = 1;
      for (int k = 0; k < rank; k++) {
        if (k != q && k != rank - 1) {
          rest[n++] = k;
          count *= bDims[k];
        }
      }
      others = java.util.Arrays.copyOf(rest, n);
      outerCount = count;
    }

    boolean matches() {
      long bands = q == rank - 1 ? outerCount : outerCount * blocks(bDims[q]);
      int cores = Runtime.getRuntime().availableProcessors();
      int tasks =
          a.size() >= PARALLEL_MIN_BYTES && cores > 1 ? (int) Math.min(bands, cores * 4L) : 1;
      if (tasks <= 1) {
        return range(0, bands);
      }
      long per = (bands + tasks - 1) / tasks;
      return IntStream.range(0, tasks)
          .parallel()
          .allMatch(t -> range(Math.min(bands, t * per), Math.min(bands, (t + 1) * per)));
    }

    private static long blocks(long length) {
      return (length + BLOCK - 1) / BLOCK;
    }

    /**
     * Compares bands [from, to); a band is one outer index and, in the tiled case, one block of
     * {@value #BLOCK} rows. Tiles are visited block by block ({@value #BLOCK} x {@value #BLOCK}
     * elements), so that the pages both sides touch stay few enough for the TLB however large the
     * tensor: a 2 GB transpose read tile row by tile row would touch a new page on every read.
     */
    private boolean range(long from, long to) {
      if (q == rank - 1) {
        return runs(from, to);
      }
      long rowBlocks = blocks(bDims[q]);
      long columns = bDims[rank - 1];
      long rows = bDims[q];
      // a 16 x 16 tensor needs tiles of 16 x 16 and a [4, 256] one of 4 x 256, not 256 x 256 (over
      // 0.5 MiB zeroed per comparison)
      Tiles tiles =
          Tiles.of(a, b, width, (int) Math.min(TILE, rows), (int) Math.min(TILE, columns));
      for (long band = from; band < to; band++) {
        if (failed.get()) {
          return false;
        }
        long outer = band / rowBlocks;
        long blockStart = (band % rowBlocks) * BLOCK;
        long blockEnd = Math.min(rows, blockStart + BLOCK);
        long baseA = 0;
        long baseB = 0;
        long rest = outer;
        for (int o = others.length - 1; o >= 0; o--) {
          int axis = others[o];
          long index = rest % bDims[axis];
          rest /= bDims[axis];
          baseA += index * step[axis];
          baseB += index * bStride[axis];
        }
        for (long columnBlock = 0; columnBlock < columns; columnBlock += BLOCK) {
          long columnEnd = Math.min(columns, columnBlock + BLOCK);
          for (long i0 = blockStart; i0 < blockEnd; i0 += TILE) {
            int tileRows = (int) Math.min(TILE, blockEnd - i0);
            for (long c0 = columnBlock; c0 < columnEnd; c0 += TILE) {
              int tileColumns = (int) Math.min(TILE, columnEnd - c0);
              for (int c = 0; c < tileColumns; c++) {
                tiles.loadA(
                    (baseA + (c0 + c) * step[rank - 1] + i0) * width, c * tiles.strideA, tileRows);
              }
              for (int i = 0; i < tileRows; i++) {
                tiles.loadB(
                    (baseB + (i0 + i) * bStride[q] + c0) * width, i * tiles.strideB, tileColumns);
              }
              if (!tiles.same(tileRows, tileColumns)) {
                failed.set(true);
                return false;
              }
            }
          }
        }
      }
      return true;
    }

    /** The innermost axis stays innermost: compare contiguous runs of it, one per outer index. */
    private boolean runs(long from, long to) {
      long run = bDims[rank - 1] * width;
      for (long outer = from; outer < to; outer++) {
        if (failed.get()) {
          return false;
        }
        long baseA = 0;
        long rest = outer;
        for (int o = others.length - 1; o >= 0; o--) {
          int axis = others[o];
          baseA += (rest % bDims[axis]) * step[axis];
          rest /= bDims[axis];
        }
        if (!a.rangeEquals(baseA * width, b, outer * run, run)) {
          failed.set(true);
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Two tiles of up to {@value #TILE} x {@value #TILE} elements, a's transposed against b's: filled
   * by bulk copies into primitive arrays of the element width (no per-element calls, even in cold
   * code). Tile a holds up to {@code columns} rows of a (b's columns), each up to {@code rows}
   * elements; tile b up to {@code rows} rows of b, each up to {@code columns} elements.
   */
  private abstract static class Tiles {
    final TensorBytes a;
    final TensorBytes b;

    /**
     * Elements from one row of tile a to the next: {@code rows} used, plus 64 bytes. Comparing
     * reads tile a down a column; with a power-of-two row length in bytes those reads fall into a
     * few cache sets of L1 and evict each other (every element a miss); with an odd number of cache
     * lines per row they spread over all sets.
     */
    final int strideA;

    /** Elements from one row of tile b to the next: {@code columns} used, plus 64 bytes. */
    final int strideB;

    /** Elements of tile a's array. */
    final int cellsA;

    /** Elements of tile b's array. */
    final int cellsB;

    Tiles(TensorBytes a, TensorBytes b, int width, int rows, int columns) {
      this.a = a;
      this.b = b;
      int pad = Math.max(1, 64 / width);
      this.strideA = rows + pad;
      this.strideB = columns + pad;
      this.cellsA = columns * strideA;
      this.cellsB = rows * strideB;
    }

    /**
     * Copies {@code count} elements of a from byte {@code at} into tile a at element {@code slot}.
     */
    abstract void loadA(long at, int slot, int count);

    /** The same for b. */
    abstract void loadB(long at, int slot, int count);

    /**
     * True when a[c][i] equals b[i][c] for every element of the tile: along b's row i, a's column i
     * (running indexes, no multiplication per element: 1.7x faster under C1 in a microbenchmark of
     * one 128 x 128 tile of shorts; no change end to end, where reading the tiles costs more).
     */
    abstract boolean same(int tileRows, int tileColumns);

    /**
     * Tiles of up to {@code rows} x {@code columns} elements of {@code width} bytes (see the
     * class).
     */
    static Tiles of(TensorBytes a, TensorBytes b, int width, int rows, int columns) {
      return switch (width) {
        case 2 -> new Shorts(a, b, width, rows, columns);
        case 4 -> new Ints(a, b, width, rows, columns);
        case 8 -> new Longs(a, b, width, rows, columns);
        default -> new Bytes(a, b, width, rows, columns);
      };
    }

    private static final class Shorts extends Tiles {
      private final short[] tileA = new short[cellsA];
      private final short[] tileB = new short[cellsB];

      Shorts(TensorBytes a, TensorBytes b, int width, int rows, int columns) {
        super(a, b, width, rows, columns);
      }

      @Override
      void loadA(long at, int slot, int count) {
        a.getShorts(at, tileA, slot, count);
      }

      @Override
      void loadB(long at, int slot, int count) {
        b.getShorts(at, tileB, slot, count);
      }

      @Override
      boolean same(int tileRows, int tileColumns) {
        for (int i = 0; i < tileRows; i++) {
          int end = i * strideB + tileColumns;
          for (int atB = i * strideB, atA = i; atB < end; atB++, atA += strideA) {
            if (tileA[atA] != tileB[atB]) {
              return false;
            }
          }
        }
        return true;
      }
    }

    private static final class Ints extends Tiles {
      private final int[] tileA = new int[cellsA];
      private final int[] tileB = new int[cellsB];

      Ints(TensorBytes a, TensorBytes b, int width, int rows, int columns) {
        super(a, b, width, rows, columns);
      }

      @Override
      void loadA(long at, int slot, int count) {
        a.getInts(at, tileA, slot, count);
      }

      @Override
      void loadB(long at, int slot, int count) {
        b.getInts(at, tileB, slot, count);
      }

      @Override
      boolean same(int tileRows, int tileColumns) {
        for (int i = 0; i < tileRows; i++) {
          int end = i * strideB + tileColumns;
          for (int atB = i * strideB, atA = i; atB < end; atB++, atA += strideA) {
            if (tileA[atA] != tileB[atB]) {
              return false;
            }
          }
        }
        return true;
      }
    }

    private static final class Longs extends Tiles {
      private final long[] tileA = new long[cellsA];
      private final long[] tileB = new long[cellsB];

      Longs(TensorBytes a, TensorBytes b, int width, int rows, int columns) {
        super(a, b, width, rows, columns);
      }

      @Override
      void loadA(long at, int slot, int count) {
        a.getLongs(at, tileA, slot, count);
      }

      @Override
      void loadB(long at, int slot, int count) {
        b.getLongs(at, tileB, slot, count);
      }

      @Override
      boolean same(int tileRows, int tileColumns) {
        for (int i = 0; i < tileRows; i++) {
          int end = i * strideB + tileColumns;
          for (int atB = i * strideB, atA = i; atB < end; atB++, atA += strideA) {
            if (tileA[atA] != tileB[atB]) {
              return false;
            }
          }
        }
        return true;
      }
    }

    /** Any other width (1 byte, or 16 for complex128), compared byte by byte within an element. */
    private static final class Bytes extends Tiles {
      private final int width;
      private final byte[] tileA;
      private final byte[] tileB;

      Bytes(TensorBytes a, TensorBytes b, int width, int rows, int columns) {
        super(a, b, width, rows, columns);
        this.width = width;
        this.tileA = new byte[cellsA * width];
        this.tileB = new byte[cellsB * width];
      }

      @Override
      void loadA(long at, int slot, int count) {
        a.get(at, tileA, slot * width, count * width);
      }

      @Override
      void loadB(long at, int slot, int count) {
        b.get(at, tileB, slot * width, count * width);
      }

      @Override
      boolean same(int tileRows, int tileColumns) {
        int stepA = strideA * width;
        for (int i = 0; i < tileRows; i++) {
          int end = (i * strideB + tileColumns) * width;
          for (int atB = i * strideB * width, atA = i * width;
              atB < end;
              atB += width, atA += stepA) {
            for (int k = 0; k < width; k++) {
              if (tileA[atA + k] != tileB[atB + k]) {
                return false;
              }
            }
          }
        }
        return true;
      }
    }
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
