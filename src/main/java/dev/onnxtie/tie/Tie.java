package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;

/**
 * One confirmed tie: {@code removed} equals {@code Transpose(kept, perm)} bit for bit (an identical
 * copy when perm is the identity).
 *
 * @param kept the tensor that stays (the "encoder")
 * @param removed the duplicate (the "decoder")
 * @param perm the Transpose perm that turns kept into removed
 */
public record Tie(TensorSource kept, TensorSource removed, int[] perm) {
  /** True when the two tensors are byte-identical with the same shape. */
  public boolean identical() {
    return PermutationCheck.isIdentity(perm);
  }
}
