package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;
import java.util.List;

/**
 * Finds one family of relations: which tensors it looks at, how it buckets them from their metadata
 * alone (so that a tensor alone in its bucket is never read), an optional key that splits large
 * buckets, and the byte-exact confirmation of a pair. The {@link Grouping} engine runs the matchers
 * of {@link Matchers#ALL} in order.
 */
interface Matcher {
  /** True when this matcher considers the tensor at all. */
  boolean accepts(TensorSource source);

  /** A key from dtype and dims only: tensors in different buckets never relate. */
  Object bucket(TensorSource source);

  /**
   * False when no two tensors of a bucket can relate, whatever their bytes: then none of them is
   * read. Decided from metadata alone.
   */
  default boolean mayRelate(List<TensorSource> bucket) {
    return bucket.size() >= 2;
  }

  /** True when {@link #refine} splits large buckets; false to compare them pair by pair. */
  default boolean refines() {
    return false;
  }

  /** A key read from the bytes that splits a large bucket: tensors that relate share it. */
  default Object refine(TensorSource source, PermutationKey keys) {
    throw new UnsupportedOperationException("this matcher compares large buckets pair by pair");
  }

  /** How {@code member} is made from {@code kept}, bit for bit, or null when it is not. */
  Relation confirm(TensorSource kept, TensorSource member);
}
