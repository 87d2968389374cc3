package dev.onnxtie.tie;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.TensorBytes;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * A 64-bit key of a tensor that is equal for a tensor and every axis permutation of it.
 *
 * <p>{@code key = Σ mix(value(e)) · Π_k T(dim_k, index_k(e))} over all elements {@code e}, in
 * wrapping 64-bit arithmetic. {@code T(d, i)} is a pseudo-random odd number of the axis length and
 * the index along it. Permuting axes permutes the factors of the product (each index travels with
 * its axis length), and multiplication commutes, so a transposed copy gets the same key while a
 * tensor with the same values in other places almost surely does not. It is computed in one
 * row-major pass straight over the (mapped) bytes, one multiply-add per element; tensors that share
 * a key are then confirmed byte for byte, so a collision costs time, never correctness.
 */
public final class PermutationKey {
  private static final long SEED = 0x5DEECE66DL;
  private final Map<Long, long[]> tables = new HashMap<>();

  /** Axes longer than this get their factors computed on the fly instead of from a table. */
  private static final long MAX_TABLE = 1 << 22;

  /** The key of a tensor of this type and dims whose raw bytes are {@code data} (up to 2 GiB). */
  public long of(ByteBuffer data, DataType type, long[] dims) {
    return of(TensorBytes.of(data), type, dims);
  }

  /** The key of a tensor of this type and dims whose raw bytes are {@code data}, of any size. */
  public long of(TensorBytes data, DataType type, long[] dims) {
    int width = ElementReader.width(type);
    int packedBits = ElementReader.packedBits(type);
    int rank = dims.length;
    if (rank == 0) {
      return mix(ElementReader.bits(data, width, packedBits, 0));
    }
    for (long dim : dims) {
      if (dim == 0) {
        return 0;
      }
    }
    long[][] axis = new long[rank][];
    for (int k = 0; k < rank; k++) {
      axis[k] = dims[k] <= MAX_TABLE ? table(dims[k]) : null;
    }
    long inner = dims[rank - 1];
    long[] last = axis[rank - 1];
    long[] index = new long[Math.max(rank - 1, 0)];
    long element = 0;
    long key = 0;
    while (true) {
      long outer = 1;
      for (int k = 0; k < rank - 1; k++) {
        outer *= factor(axis[k], dims[k], index[k]);
      }
      // the fast paths read a row that lies in one chunk straight from that chunk's buffer
      long rowStart = element * width;
      boolean oneChunk =
          packedBits == 0
              && (rowStart >>> data.shift()) == ((rowStart + inner * width - 1) >>> data.shift());
      if (last != null && oneChunk && width == 4) {
        ByteBuffer chunk = data.chunk((int) (rowStart >>> data.shift()));
        int at = (int) (rowStart - ((rowStart >>> data.shift()) << data.shift()));
        for (int j = 0; j < inner; j++, at += 4) {
          key += mix(chunk.getInt(at) & 0xFFFFFFFFL) * (outer * last[j]);
        }
      } else if (last != null && oneChunk && width == 2) {
        ByteBuffer chunk = data.chunk((int) (rowStart >>> data.shift()));
        int at = (int) (rowStart - ((rowStart >>> data.shift()) << data.shift()));
        for (int j = 0; j < inner; j++, at += 2) {
          key += mix(chunk.getShort(at) & 0xFFFFL) * (outer * last[j]);
        }
      } else {
        for (long j = 0; j < inner; j++) {
          key +=
              mix(ElementReader.bits(data, width, packedBits, element + j))
                  * (outer * factor(last, inner, j));
        }
      }
      element += inner;
      int k = rank - 2;
      while (k >= 0 && ++index[k] == dims[k]) {
        index[k] = 0;
        k--;
      }
      if (k < 0) {
        return key;
      }
    }
  }

  private static long factor(long[] table, long length, long index) {
    return table != null ? table[(int) index] : compute(length, index);
  }

  private static long compute(long length, long index) {
    return fmix(SEED ^ length * 0x9E3779B97F4A7C15L ^ (index + 1L) * 0xC2B2AE3D27D4EB4FL) | 1L;
  }

  private long[] table(long length) {
    return tables.computeIfAbsent(
        length,
        d -> {
          long[] table = new long[(int) (long) d];
          for (int i = 0; i < table.length; i++) {
            table[i] = compute(d, i);
          }
          return table;
        });
  }

  /** A cheap non-linear mix of an element's bits; never 0 for value 0. */
  static long mix(long value) {
    long h = (value + 0x632BE59BD9B4E019L) * 0x9E3779B97F4A7C15L;
    return h ^ (h >>> 31);
  }

  static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return h;
  }
}
