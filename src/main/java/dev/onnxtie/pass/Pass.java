package dev.onnxtie.pass;

import dev.onnxtie.graph.GraphEditor;

/** A graph rewrite with one job. */
public interface Pass {
  /** A short name for reports, e.g. {@code tie-weights}. */
  String name();

  /** Applies the pass to the model in {@code editor}. */
  PassResult apply(GraphEditor editor);
}
