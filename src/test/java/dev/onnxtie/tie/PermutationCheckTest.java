package dev.onnxtie.tie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.model.DataType;
import dev.onnxtie.model.TensorBytes;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tiled, merged and parallel permuted compare against a plain element-by-element transpose,
 * over ranks 2 to 5, every element width, odd sizes and chunk sizes small enough that tiles and
 * elements cross chunk boundaries.
 */
class PermutationCheckTest {
  private static final List<DataType> TYPES =
      List.of(
          DataType.UINT8,
          DataType.FLOAT16,
          DataType.FLOAT,
          DataType.INT64,
          DataType.COMPLEX128,
          DataType.INT4);

  /** b = Transpose(a, perm), element by element (the definition). */
  static byte[] transpose(byte[] a, long[] aDims, int[] perm, int width) {
    int rank = aDims.length;
    long[] aStride = new long[rank];
    long stride = 1;
    for (int k = rank - 1; k >= 0; k--) {
      aStride[k] = stride;
      stride *= aDims[k];
    }
    long[] bDims = new long[rank];
    for (int k = 0; k < rank; k++) {
      bDims[k] = aDims[perm[k]];
    }
    byte[] b = new byte[a.length];
    long[] index = new long[rank];
    for (long e = 0; e < stride; e++) {
      long at = 0;
      for (int k = 0; k < rank; k++) {
        at += index[k] * aStride[perm[k]];
      }
      System.arraycopy(a, (int) (at * width), b, (int) (e * width), width);
      for (int k = rank - 1; k >= 0; k--) {
        if (++index[k] < bDims[k]) {
          break;
        }
        index[k] = 0;
      }
    }
    return b;
  }

  @Test
  void tiledCompareAgreesWithTheDefinitionAcrossChunkBoundaries() {
    Random random = new Random(7);
    int checked = 0;
    for (int trial = 0; trial < 300; trial++) {
      DataType type = TYPES.get(random.nextInt(TYPES.size())); // every type gets large matrices too
      int rank = 2 + random.nextInt(4);
      long[] dims = new long[rank];
      long count = 1;
      for (int k = 0; k < rank; k++) {
        // matrices of one tile and of several tiles and blocks (256 and 512 elements a side), some
        // partial
        dims[k] = 1 + random.nextInt(rank == 2 ? (trial % 8 == 0 ? 700 : 150) : 9);
        count *= dims[k];
      }
      if (type.isPacked() && count % 2 == 1) {
        dims[rank - 1]++;
        count = count / (dims[rank - 1] - 1) * dims[rank - 1];
      }
      int width = type.isPacked() ? 1 : type.bits() / 8;
      byte[] a = new byte[(int) (type.isPacked() ? count / 2 : count * width)];
      random.nextBytes(a);
      long[] bDims = new long[rank];
      int[] perm = randomPerm(rank, random);
      for (int k = 0; k < rank; k++) {
        bDims[k] = dims[perm[k]];
      }
      if (type.isPacked()) {
        // nibble transposes are checked elementwise; compare against a transposed copy only when
        // byte-sized
        assertTrue(
            PermutationCheck.matches(
                ByteBuffer.wrap(a), dims, ByteBuffer.wrap(a), identity(rank), type));
        continue;
      }
      byte[] b = transpose(a, dims, perm, width);
      int shift = 4 + random.nextInt(8);
      TensorBytes va = TensorBytes.of(ByteBuffer.wrap(a), shift);
      TensorBytes vb = TensorBytes.of(ByteBuffer.wrap(b), 4 + random.nextInt(8));
      assertTrue(PermutationCheck.matches(va, dims, vb, perm, type), "trial " + trial);
      // one flipped bit anywhere is found
      byte[] wrong = b.clone();
      int at = random.nextInt(wrong.length);
      wrong[at] ^= (byte) (1 << random.nextInt(8));
      assertFalse(
          PermutationCheck.matches(
              va, dims, TensorBytes.of(ByteBuffer.wrap(wrong), shift), perm, type),
          "trial " + trial);
      checked++;
    }
    assertTrue(checked > 200);
  }

  @Test
  void largeTransposeIsComparedInParallelAndStillExact() {
    // 3 × 1536 × 1024 fp32 with perm [0, 2, 1]: 18 MiB, above the parallel threshold
    long[] dims = {3, 1536, 1024};
    int[] perm = {0, 2, 1};
    byte[] a = new byte[3 * 1536 * 1024 * 4];
    new Random(3).nextBytes(a);
    byte[] b = transpose(a, dims, perm, 4);
    assertTrue(
        PermutationCheck.matches(
            TensorBytes.of(ByteBuffer.wrap(a), 20),
            dims,
            TensorBytes.of(ByteBuffer.wrap(b), 22),
            perm,
            DataType.FLOAT));
    b[b.length - 1] ^= 1;
    assertFalse(
        PermutationCheck.matches(
            ByteBuffer.wrap(a), dims, ByteBuffer.wrap(b), perm, DataType.FLOAT));
  }

  @Test
  void axesOfLengthOneAndNeighboursAreReduced() {
    PermutationCheck.Reduced reduced =
        PermutationCheck.reduce(new long[] {2, 1, 3, 4, 5}, new int[] {2, 3, 1, 0, 4});
    // a axes (2,3) stay neighbours, axis 1 has length 1: [12 from axes 2-3, 2, 5] -> a dims [2, 12,
    // 5], perm [1, 0, 2]
    assertEquals(List.of(2L, 12L, 5L), Arrays.stream(reduced.dims()).boxed().toList());
    assertEquals(List.of(1, 0, 2), Arrays.stream(reduced.perm()).boxed().toList());
  }

  @Test
  void keyIsTheSameAcrossChunkSizes() {
    byte[] a = new byte[37 * 53 * 2];
    new Random(5).nextBytes(a);
    long[] dims = {37, 53};
    PermutationKey keys = new PermutationKey();
    long whole = keys.of(ByteBuffer.wrap(a), DataType.FLOAT16, dims);
    for (int shift = 4; shift < 13; shift++) {
      assertEquals(
          whole, keys.of(TensorBytes.of(ByteBuffer.wrap(a), shift), DataType.FLOAT16, dims));
    }
    byte[] b = transpose(a, dims, new int[] {1, 0}, 2);
    assertEquals(
        whole,
        keys.of(TensorBytes.of(ByteBuffer.wrap(b), 5), DataType.FLOAT16, new long[] {53, 37}));
  }

  private static int[] identity(int rank) {
    int[] perm = new int[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = i;
    }
    return perm;
  }

  private static int[] randomPerm(int rank, Random random) {
    int[] perm = identity(rank);
    for (int i = rank - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }
}
