package dev.onnxtie.graph;

import java.util.List;

/**
 * The declared type of a tensor value: element type code and dims, each dim a {@code Long} value, a
 * {@code String} symbol, or null when unknown. {@code dims} is null when the rank is unknown.
 *
 * @param elemType ONNX data type number
 * @param dims the dims, or null for unknown rank
 */
public record TensorType(int elemType, List<Object> dims) {
  /** The rank, or -1 when unknown. */
  public int rank() {
    return dims == null ? -1 : dims.size();
  }
}
