package dev.onnxtie.graph;

import dev.onnxtie.proto.Onnx.ModelProto;

/** The subgraph test models for tests in other packages. */
public final class OuterScopeTiesTestAccess {
  private OuterScopeTiesTestAccess() {}

  /** {@link OuterScopeTiesTest#greedySearch()}. */
  public static ModelProto greedySearch() {
    return OuterScopeTiesTest.greedySearch();
  }
}
