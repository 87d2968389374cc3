package dev.onnxtie.api;

import dev.onnxtie.tie.Relation;

/**
 * The finder's relations as the api's {@link TieRelation} (a static method of an interface is
 * public).
 */
final class TieRelations {
  private TieRelations() {}

  /** The one conversion from the finder's relation; its words stay those of {@link Relation}. */
  static TieRelation of(Relation relation) {
    if (relation instanceof Relation.Permuted permuted) {
      return new TieRelation.Permuted(permuted.perm());
    }
    if (relation instanceof Relation.Reshaped reshaped) {
      return new TieRelation.Reshaped(reshaped.shape());
    }
    return new TieRelation.Identical();
  }
}
