package dev.onnxtie.tie;

import java.util.Arrays;
import java.util.List;

/**
 * How a removed tensor relates to the tensor that stays, bit for bit. The finder produces it, the
 * rewrite pass rewires by it, and {@link #text()} / {@link #kind()} are the only places it is put
 * into words (text reports and JSON both use them).
 *
 * <p>Adding a relation means a new record here, its matcher in {@link Matchers}, its rewiring in
 * {@code pass.TieWeights} and its tests; the compiler lists every {@code switch} that must learn
 * it.
 */
public sealed interface Relation permits Relation.Identical, Relation.Permuted, Relation.Reshaped {
  /**
   * The relation's name in reports and JSON: {@code identical}, {@code transpose}, {@code reshape}.
   */
  String kind();

  /** The relation in words, e.g. {@code transpose [1, 0]} or {@code reshape to [4, 2, 16]}. */
  String text();

  /** Same dtype, same shape, same bytes: readers read the kept tensor as it is. */
  record Identical() implements Relation {
    @Override
    public String kind() {
      return "identical";
    }

    @Override
    public String text() {
      return "identical";
    }
  }

  /**
   * The removed tensor is {@code Transpose(kept, perm)} (not the identity).
   *
   * @param perm the Transpose perm that turns kept into removed
   */
  record Permuted(List<Integer> perm) implements Relation {
    /** Defensive copy. */
    public Permuted {
      perm = List.copyOf(perm);
    }

    @Override
    public String kind() {
      return "transpose";
    }

    @Override
    public String text() {
      return "transpose " + perm;
    }
  }

  /**
   * Same dtype, element count and bytes in another shape: the removed tensor is {@code
   * Reshape(kept, shape)}.
   *
   * @param shape the removed tensor's shape
   */
  record Reshaped(List<Long> shape) implements Relation {
    /** Defensive copy. */
    public Reshaped {
      shape = List.copyOf(shape);
    }

    @Override
    public String kind() {
      return "reshape";
    }

    @Override
    public String text() {
      return "reshape to " + shape;
    }
  }

  /** The relation for a confirmed perm: identical for the identity, permuted otherwise. */
  static Relation ofPerm(int[] perm) {
    if (PermutationCheck.isIdentity(perm)) {
      return new Identical();
    }
    return new Permuted(Arrays.stream(perm).boxed().toList());
  }
}
