package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;

/**
 * Finds one family of relations: which tensors it looks at, how it buckets them from their
 * metadata alone (so that a tensor alone in its bucket is never read), an optional key that splits
 * large buckets, and the byte-exact confirmation of a pair. The {@link Grouping} engine runs the
 * matchers of {@link Matchers#ALL} in order.
 */
interface Matcher {
  /** True when this matcher considers the tensor at all. */
  boolean accepts(TensorSource source);

  /** A key from dtype and dims only: tensors in different buckets never relate. */
  Object bucket(TensorSource source);

  /**
   * A key read from the bytes that splits a large bucket (tensors that relate share it), or null
   * when this matcher compares large buckets pair by pair.
   */
  default Object refine(TensorSource source, PermutationKey keys) {
    return null;
  }

  /** How {@code member} is made from {@code kept}, bit for bit, or null when it is not. */
  Relation confirm(TensorSource kept, TensorSource member);
}
