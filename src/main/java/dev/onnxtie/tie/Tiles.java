package dev.onnxtie.tie;

import dev.onnxtie.model.TensorBytes;

/**
 * Two tiles of up to {@value TiledCompare#TILE} x {@value TiledCompare#TILE} elements, a's
 * transposed against b's: filled by bulk copies into primitive arrays of the element width (no
 * per-element calls, even in cold code). Tile a holds up to {@code columns} rows of a (b's
 * columns), each up to {@code rows} elements; tile b up to {@code rows} rows of b, each up to
 * {@code columns} elements.
 *
 * <p>The four subclasses ({@code Shorts}, {@code Ints}, {@code Longs}, {@code Bytes}) are alike on
 * purpose: each holds its tiles in an array of its own primitive type and repeats the same loops
 * over it, because a generic or shared version would compare through boxed values, a {@code
 * VarHandle} or a per-element call, and this loop is the hot path of every transposed tie (the
 * width-specific array compares are what made the tiled compare fast; see {@link
 * TiledCompare#TILE}). Change one, change all four, and keep {@code PermutationCheckTest}, which
 * runs every width, passing.
 */
abstract class Tiles {
  final TensorBytes a;
  final TensorBytes b;

  /**
   * Elements from one row of tile a to the next: {@code rows} used, plus 64 bytes. Comparing reads
   * tile a down a column; with a power-of-two row length in bytes those reads fall into a few cache
   * sets of L1 and evict each other (every element a miss); with an odd number of cache lines per
   * row they spread over all sets.
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
   * Tiles of up to {@code rows} x {@code columns} elements of {@code width} bytes (see the class).
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
