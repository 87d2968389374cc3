package dev.onnxtie.tie;

import dev.onnxtie.model.TensorBytes;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * One tiled compare of b against Transpose(a, perm), with axes already reduced (by {@link
 * PermutationCheck#reduce}): the walk over bands, blocks and tiles, split over the cores for large
 * tensors, or contiguous runs when the innermost axis stays in place. What a tile holds and how it
 * is compared is {@link Tiles}'s.
 */
final class TiledCompare {
  /**
   * Elements a tile side. The rows each load copies are this long: 256 rather than 128 elements
   * read the mapped tensors in longer runs (check, 8 alternating runs, medians, together with a
   * {@link #BLOCK} of 512 rather than 256: float16 [128256, 1920] transposed 1.43 -> 1.27 s,
   * float32 [50257, 768] 0.58 -> 0.51 s; 512-element tiles were no faster).
   */
  static final int TILE = 256;

  /** Tiles are visited in blocks of this many elements a side (a multiple of {@link #TILE}). */
  static final int BLOCK = 512;

  /** Tensors at least this large are compared on all cores. */
  static final long PARALLEL_MIN_BYTES = 8L << 20;

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

  TiledCompare(TensorBytes a, TensorBytes b, long[] aDims, int[] perm, int width) {
    this.a = a;
    this.b = b;
    this.width = width;
    this.rank = aDims.length;
    long[] aStride = PermutationCheck.strides(aDims);
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
    bStride = PermutationCheck.strides(bDims);
    int[] rest = new int[rank];
    int n = 0;
    long count = 1;
    for (int k = 0; k < rank; k++) {
      if (k != q && k != rank - 1) {
        rest[n++] = k;
        count *= bDims[k];
      }
    }
    others = Arrays.copyOf(rest, n);
    outerCount = count;
  }

  boolean matches() {
    long bands = q == rank - 1 ? outerCount : outerCount * blocks(bDims[q]);
    int cores = Runtime.getRuntime().availableProcessors();
    int tasks = a.size() >= PARALLEL_MIN_BYTES && cores > 1 ? (int) Math.min(bands, cores * 4L) : 1;
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
    Tiles tiles = Tiles.of(a, b, width, (int) Math.min(TILE, rows), (int) Math.min(TILE, columns));
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
