package dev.onnxtie.tie;

import dev.onnxtie.graph.TensorSource;
import java.util.List;

/**
 * A tensor and all the tensors found to be copies or permutations of it.
 *
 * @param kept the tensor chosen to stay
 * @param ties one tie per other member
 */
public record TieGroup(TensorSource kept, List<Tie> ties) {
  /** Bytes the group wastes: the sizes of all members but the kept one. */
  public long wastedBytes() {
    return ties.stream().mapToLong(t -> t.removed().byteSize()).sum();
  }
}
