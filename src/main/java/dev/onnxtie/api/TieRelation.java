package dev.onnxtie.api;

import dev.onnxtie.tie.Relation;
import java.util.List;

/**
 * How a removed tensor is made from the tensor that stays, bit for bit: the API's view of {@link
 * Relation} (identical, permuted, reshaped). The CLI renders it as {@link #text()} and, in JSON, as
 * {@code {"kind": "identical"}}, {@code {"kind": "transpose", "perm": [1, 0]}} or {@code {"kind":
 * "reshape", "shape": [4, 2, 16]}}.
 */
public sealed interface TieRelation
    permits TieRelation.Identical, TieRelation.Permuted, TieRelation.Reshaped {
  /**
   * The relation's name in reports and JSON: {@code identical}, {@code transpose}, {@code reshape}.
   */
  default String kind() {
    return relation().kind();
  }

  /** The relation in words, e.g. {@code transpose [1, 0]} or {@code reshape to [4, 2, 16]}. */
  default String text() {
    return relation().text();
  }

  /** Same dtype, shape and bytes. */
  record Identical() implements TieRelation {}

  /**
   * The removed tensor is {@code Transpose(kept, perm)}.
   *
   * @param perm the Transpose perm that turns kept into removed
   */
  record Permuted(List<Integer> perm) implements TieRelation {
    /** Defensive copy. */
    public Permuted {
      perm = List.copyOf(perm);
    }
  }

  /**
   * Same dtype, element count and bytes in another shape: the removed tensor is {@code
   * Reshape(kept, shape)}.
   *
   * @param shape the removed tensor's shape
   */
  record Reshaped(List<Long> shape) implements TieRelation {
    /** Defensive copy. */
    public Reshaped {
      shape = List.copyOf(shape);
    }
  }

  private Relation relation() {
    if (this instanceof Permuted permuted) {
      return new Relation.Permuted(permuted.perm());
    }
    if (this instanceof Reshaped reshaped) {
      return new Relation.Reshaped(reshaped.shape());
    }
    return new Relation.Identical();
  }
}
