package dev.onnxtie.tie;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.TestModels;
import dev.onnxtie.model.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** PermutationKey invariance and PermutationCheck beyond one 64-element tile. */
class PermutationTest {
  static ByteBuffer bytes(float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    return buffer.flip();
  }

  @Test
  void keyIsTheSameForEveryPermutationAndDiffersForOtherPlacements() {
    long[] dims = {3, 4, 5};
    float[] a = TestModels.randomFloats(9, 60);
    PermutationKey keys = new PermutationKey();
    long key = keys.of(bytes(a), DataType.FLOAT, dims);
    int[][] perms = {{0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int[] perm : perms) {
      long[] permutedDims = {dims[perm[0]], dims[perm[1]], dims[perm[2]]};
      assertEquals(
          key,
          keys.of(bytes(TestModels.permute(a, dims, perm)), DataType.FLOAT, permutedDims),
          Arrays.toString(perm));
    }
    float[] swapped = a.clone();
    swapped[0] = a[1];
    swapped[1] = a[0];
    assertNotEquals(
        key, keys.of(bytes(swapped), DataType.FLOAT, dims), "same values in other places");
  }

  @Test
  void tiledCompareBeyondOneTile() {
    int rows = 150;
    int cols = 70; // more than 2 tiles of 64 one way, more than 1 the other
    float[] a = TestModels.randomFloats(10, rows * cols);
    float[] t = TestModels.transpose(a, rows, cols);
    long[] dims = {rows, cols};
    assertTrue(
        PermutationCheck.matches(bytes(a), dims, bytes(t), new int[] {1, 0}, DataType.FLOAT));
    // one element wrong in the last, partial tile
    float[] wrong = t.clone();
    wrong[wrong.length - 1] += 1;
    assertFalse(
        PermutationCheck.matches(bytes(a), dims, bytes(wrong), new int[] {1, 0}, DataType.FLOAT));
    float[] wrongMiddle = t.clone();
    wrongMiddle[65 * rows + 130] += 1;
    assertFalse(
        PermutationCheck.matches(
            bytes(a), dims, bytes(wrongMiddle), new int[] {1, 0}, DataType.FLOAT));
  }

  @Test
  void candidatesListIdentityFirst() {
    assertEquals(2, PermutationCheck.candidates(new long[] {4, 4}, new long[] {4, 4}).size());
    assertTrue(
        PermutationCheck.isIdentity(
            PermutationCheck.candidates(new long[] {4, 4}, new long[] {4, 4}).get(0)));
    assertEquals(0, PermutationCheck.candidates(new long[] {4, 5}, new long[] {4, 6}).size());
  }
}
